package alluxio.jni;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the native Alluxio client library, {@code liballuxio_jni.so}, into the JVM.
 *
 * <p>The places tried, in order:
 *
 * <ol>
 *   <li>the path in the system property {@value #LIBRARY_PROPERTY};
 *   <li>the path in the environment variable {@value #LIBRARY_ENV};
 *   <li>{@code $ALLUXIO_HOME/lib/liballuxio_jni.so}, if that file exists;
 *   <li>the class path resource {@code /alluxio/native/linux-<arch>/liballuxio_jni.so} (arch
 *       {@code x86_64} or {@code aarch64}), as bundled in the client jar by
 *       {@code dev/build-client-jar.sh}; it is copied to a temporary file to be loaded.
 * </ol>
 */
public final class NativeLibrary {
  /** The system property naming the library file to load. */
  public static final String LIBRARY_PROPERTY = "alluxio.jni.library";
  /** The environment variable naming the library file to load. */
  public static final String LIBRARY_ENV = "ALLUXIO_JNI_LIBRARY";

  private static final String FILE_NAME = "liballuxio_jni.so";

  private static boolean loaded;

  private NativeLibrary() {}

  /**
   * Loads the library unless it is loaded already. Thread-safe; after a failure, the next call
   * tries again.
   *
   * @throws UnsatisfiedLinkError if no place holds a loadable library; the message lists every
   *     place tried and why it failed, and how to provide the library
   */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    List<String> attempts = new ArrayList<>();
    loaded = loadFile("system property " + LIBRARY_PROPERTY,
            System.getProperty(LIBRARY_PROPERTY), attempts)
        || loadFile("environment variable " + LIBRARY_ENV, System.getenv(LIBRARY_ENV), attempts)
        || loadFromAlluxioHome(attempts)
        || loadResource(attempts);
    if (!loaded) {
      throw new UnsatisfiedLinkError("Cannot load the native Alluxio client " + FILE_NAME
          + ". Tried:\n  - " + String.join("\n  - ", attempts)
          + "\nTo fix it, put the Alluxio client jar built by dev/build-client-jar.sh (which "
          + "bundles the library) on the class path, or point -D" + LIBRARY_PROPERTY + " or "
          + LIBRARY_ENV + " at a " + FILE_NAME + " built by "
          + "`cargo build --release -p alluxio-hadoop-jni`.");
    }
  }

  /** Loads {@code file} if it is set; records in {@code attempts} why not otherwise. */
  private static boolean loadFile(String source, String file, List<String> attempts) {
    if (file == null || file.isEmpty()) {
      attempts.add(source + ": not set");
      return false;
    }
    try {
      System.load(Path.of(file).toAbsolutePath().toString());
      return true;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      attempts.add(source + " = " + file + ": " + e.getMessage());
      return false;
    }
  }

  private static boolean loadFromAlluxioHome(List<String> attempts) {
    String source = "$ALLUXIO_HOME/lib/" + FILE_NAME;
    String home = System.getenv("ALLUXIO_HOME");
    if (home == null || home.isEmpty()) {
      attempts.add(source + ": ALLUXIO_HOME not set");
      return false;
    }
    Path file = Path.of(home, "lib", FILE_NAME);
    if (!Files.isRegularFile(file)) {
      attempts.add(file + ": no such file");
      return false;
    }
    return loadFile(file.toString(), file.toString(), attempts);
  }

  /** Copies the library bundled for this platform to a temporary file and loads that. */
  private static boolean loadResource(List<String> attempts) {
    String arch = architecture();
    if (!System.getProperty("os.name").startsWith("Linux") || arch == null) {
      attempts.add("the class path: no library is bundled for " + System.getProperty("os.name")
          + " on " + System.getProperty("os.arch") + " (only for Linux on x86_64 and aarch64)");
      return false;
    }
    String resource = "/alluxio/native/linux-" + arch + "/" + FILE_NAME;
    try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
      if (in == null) {
        attempts.add("class path resource " + resource + ": not on the class path");
        return false;
      }
      File copy = Files.createTempFile("liballuxio_jni", ".so").toFile();
      try {
        Files.copy(in, copy.toPath(), StandardCopyOption.REPLACE_EXISTING);
        System.load(copy.getPath());
        return true;
      } finally {
        // A loaded library stays mapped without its file, so the copy goes right away and no
        // JVM exit, however abrupt, leaves it behind.
        if (!copy.delete()) {
          copy.deleteOnExit();
        }
      }
    } catch (IOException | UnsatisfiedLinkError e) {
      attempts.add("class path resource " + resource + ", copied to a temporary file in "
          + System.getProperty("java.io.tmpdir") + ": " + e.getMessage() + " (if that directory"
          + " is mounted noexec, set -Djava.io.tmpdir to one that is not)");
      return false;
    }
  }

  /** The bundled libraries' name for this JVM's architecture; null if none is bundled. */
  private static String architecture() {
    switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
      case "amd64":
      case "x86_64":
        return "x86_64";
      case "aarch64":
        return "aarch64";
      default:
        return null;
    }
  }
}
