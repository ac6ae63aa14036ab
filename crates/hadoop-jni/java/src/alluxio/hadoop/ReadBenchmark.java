package alluxio.hadoop;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;

/**
 * Measures {@link FileSystem} as a Hadoop application uses it, through
 * {@link org.apache.hadoop.fs.FileSystem#get}; {@code alluxio bench --client-jar} runs it and
 * compares its figures with the Rust client's of the same run. The connection is made before
 * timing starts.
 *
 * <ul>
 *   <li>{@code ReadBenchmark read <uri> <bufferSize>}: opens the existing file {@code uri}, reads
 *       it whole with {@code FSDataInputStream.read(byte[bufferSize])} and prints
 *       {@code hadoop.read <MiB/s>};
 *   <li>{@code ReadBenchmark status <uri> <iterations>}: calls {@code getFileStatus(uri)}
 *       {@code iterations} times untimed, then {@code iterations} times timed, and prints
 *       {@code hadoop.get_status <ops/s>}.
 * </ul>
 */
public final class ReadBenchmark {
  private static final double MIB = 1 << 20;
  private static final double NANOS_PER_SECOND = 1e9;

  private ReadBenchmark() {}

  /**
   * Runs one measurement.
   *
   * @param args the mode ({@code read} or {@code status}), the URI and a count
   * @throws IOException if the file cannot be read
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 3 || !(args[0].equals("read") || args[0].equals("status"))) {
      System.err.println("Usage: ReadBenchmark read <alluxio URI of a file> <buffer size>\n"
          + "       ReadBenchmark status <alluxio URI> <iterations>");
      System.exit(2);
    }
    URI uri = URI.create(args[1]);
    int count = Integer.parseInt(args[2]);
    Configuration conf = new Configuration();
    conf.set("fs.alluxio.impl", FileSystem.class.getName());
    org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.get(uri, conf);
    Path path = new Path(uri);
    // Connects to the master, and tells the length to check the read against.
    long length = fs.getFileStatus(path).getLen();
    if (args[0].equals("read")) {
      read(fs, path, length, count);
    } else {
      status(fs, path, count);
    }
  }

  private static void read(org.apache.hadoop.fs.FileSystem fs, Path path, long length,
      int bufferSize) throws IOException {
    byte[] buffer = new byte[bufferSize];
    long total = 0;
    long start = System.nanoTime();
    try (FSDataInputStream in = fs.open(path, bufferSize)) {
      for (int read = in.read(buffer); read != -1; read = in.read(buffer)) {
        total += read;
      }
    }
    double seconds = (System.nanoTime() - start) / NANOS_PER_SECOND;
    if (total != length) {
      throw new IOException("read " + total + " bytes of " + path + ", which has " + length);
    }
    System.out.printf(Locale.ROOT, "hadoop.read %.1f%n", total / MIB / seconds);
  }

  private static void status(org.apache.hadoop.fs.FileSystem fs, Path path, int iterations)
      throws IOException {
    // As many untimed calls first, so the JIT has compiled the path the timed calls take.
    for (int i = 0; i < iterations; i++) {
      fs.getFileStatus(path);
    }
    long start = System.nanoTime();
    for (int i = 0; i < iterations; i++) {
      fs.getFileStatus(path);
    }
    double seconds = (System.nanoTime() - start) / NANOS_PER_SECOND;
    System.out.printf(Locale.ROOT, "hadoop.get_status %.1f%n", iterations / seconds);
  }
}
