package alluxio.hadoop;

import alluxio.jni.NativeClient;
import alluxio.jni.NativeStatus;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedExceptionAction;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.ParentNotDirectoryException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.security.UserGroupInformation;

/**
 * Checks {@link FileSystem} against the Hadoop FileSystem contract, through
 * {@link org.apache.hadoop.fs.FileSystem#get} as Spark and Hive reach it, on a running cluster.
 *
 * <p>Usage:
 *
 * <ul>
 *   <li>{@code ContractTest alluxio://host:port/unique-dir}: runs every check under that
 *       directory (created, then deleted at the end);
 *   <li>{@code ContractTest lost-master alluxio://host:port/}: checks that a call to a master that
 *       does not listen fails with a {@link ConnectException} in bounded time.
 * </ul>
 *
 * <p>Prints {@code PASS <name>} or {@code FAIL <name>: <reason>} for each check (stack traces go
 * to stderr) and exits with 1 if any failed, 0 otherwise.
 */
public final class ContractTest {
  private static final int MIB = 1 << 20;
  private static final long MINUTE_MS = 60_000;
  /** How long the lost-master call may take, with alluxio.user.rpc.retry.max.duration=2s. */
  private static final long LOST_MASTER_LIMIT_SECONDS = 30;

  private final URI baseUri;
  private final Path base;
  private final Configuration conf;
  private final org.apache.hadoop.fs.FileSystem fs;
  private int failures;

  private ContractTest(URI baseUri, Configuration conf) throws IOException {
    this.baseUri = baseUri;
    this.conf = conf;
    this.fs = org.apache.hadoop.fs.FileSystem.get(baseUri, conf);
    this.base = fs.makeQualified(new Path(baseUri));
  }

  /**
   * Runs the checks.
   *
   * @param args a base URI, or {@code lost-master} and the URI of a master that does not listen
   * @throws Exception if the file system cannot even be created
   */
  public static void main(String[] args) throws Exception {
    int failed;
    if (args.length == 2 && args[0].equals("lost-master")) {
      failed = lostMaster(URI.create(args[1]));
    } else if (args.length == 2 && args[0].equals("impersonation")) {
      failed = impersonation(URI.create(args[1]));
    } else if (args.length == 1) {
      ContractTest test = new ContractTest(URI.create(args[0]), configuration());
      test.run();
      failed = test.failures;
    } else {
      System.err.println("Usage: ContractTest alluxio://host:port/unique-dir\n"
          + "       ContractTest lost-master alluxio://host:port/\n"
          + "       ContractTest impersonation alluxio://host:port/writable-dir");
      System.exit(2);
      return;
    }
    System.exit(failed == 0 ? 0 : 1);
  }

  /** A Hadoop configuration that maps the alluxio scheme to {@link FileSystem}. */
  private static Configuration configuration() {
    Configuration conf = new Configuration();
    conf.set("fs.alluxio.impl", FileSystem.class.getName());
    return conf;
  }

  private void run() {
    check("mkdirs", this::mkdirs);
    check("mkdirs.overFile", this::mkdirsOverFile);
    check("getUri", this::uriAndScheme);
    check("getFileStatus.directory", this::directoryStatus);
    Path file = new Path(base, "data/three-mib");
    check("create.write", () -> writeThreeMib(file));
    check("getFileStatus.file", () -> fileStatus(file));
    check("read.sequential", () -> sequentialRead(file));
    check("read.seek", () -> seekAndRead(file));
    check("read.positioned", () -> positionedRead(file));
    check("read.seekPastEnd", () -> seekPastEnd(file));
    check("read.availableAndSkip", () -> availableAndSkip(file));
    check("create.noOverwrite", () -> createWithoutOverwrite(file));
    check("create.overwrite", this::createWithOverwrite);
    check("create.overDirectory", this::createOverDirectory);
    check("createNonRecursive", this::createNonRecursive);
    check("append", () -> append(file));
    check("listStatus", this::listStatus);
    check("rename.file", this::renameFile);
    check("rename.intoDirectory", this::renameIntoDirectory);
    check("rename.missingSource", this::renameMissingSource);
    check("rename.ontoItself", this::renameOntoItself);
    check("rename.ontoExistingFile", this::renameOntoExistingFile);
    check("delete", this::delete);
    check("getFileBlockLocations", this::blockLocations);
    check("listLocatedStatus", this::listLocatedStatus);
    check("getContentSummary", this::contentSummary);
    check("writeType.perCall", this::writeTypePerCall);
    check("readType.perCall", this::readTypePerCall);
    check("workingDirectory", this::workingDirectory);
    check("errors.closedStreams", () -> closedStreams(file));
    check("errors.missingFile", this::missingFile);
    check("close", () -> closeFileSystem(file));
    check("cleanup", () -> assertTrue(fs.delete(base, true), "delete(" + base + ", true)"));
  }

  private void mkdirs() throws IOException {
    Path dir = new Path(base, "dir/a/b");
    assertTrue(fs.mkdirs(dir), "mkdirs(" + dir + ")");
    assertTrue(fs.exists(dir), "exists(" + dir + ") after mkdirs");
    assertTrue(fs.mkdirs(dir), "mkdirs(" + dir + ") of an existing directory");
    assertTrue(!fs.exists(new Path(base, "dir/missing")), "exists of a missing path is false");
  }

  private void mkdirsOverFile() throws Exception {
    Path file = new Path(base, "mkdirs-over-file");
    writeBytes(file, new byte[10]);
    expectThrows(FileAlreadyExistsException.class, "mkdirs of an existing file",
        () -> fs.mkdirs(file));
    Throwable thrown = expectThrows(IOException.class, "mkdirs under a file",
        () -> fs.mkdirs(new Path(file, "child")));
    assertTrue(thrown instanceof FileAlreadyExistsException
            || thrown instanceof ParentNotDirectoryException,
        "mkdirs under a file threw " + thrown + " instead of FileAlreadyExistsException or"
            + " ParentNotDirectoryException");
  }

  private void uriAndScheme() {
    assertTrue(fs instanceof FileSystem, "FileSystem.get returned a " + fs.getClass().getName());
    assertEquals("alluxio", fs.getScheme(), "getScheme()");
    int port = baseUri.getPort() == -1 ? FileSystem.DEFAULT_MASTER_PORT : baseUri.getPort();
    assertEquals("alluxio://" + baseUri.getHost() + ":" + port, fs.getUri().toString(),
        "getUri()");
  }

  private void directoryStatus() throws IOException {
    Path dir = new Path(base, "dir/a");
    FileStatus status = fs.getFileStatus(dir);
    assertTrue(status.isDirectory() && !status.isFile(), "isDirectory of " + dir);
    assertEquals(dir, status.getPath(), "getPath()");
    assertEquals(0L, status.getLen(), "the length of a directory");
    assertRecent(status);
    assertTrue(status.getOwner() != null, "owner is set");
  }

  private void writeThreeMib(Path file) throws IOException {
    try (FSDataOutputStream out = fs.create(file)) {
      writePattern(out, 0, 3 * MIB);
      assertEquals(3L * MIB, out.getPos(), "getPos() after writing");
    }
    assertTrue(fs.exists(file), "exists after close");
  }

  private void fileStatus(Path file) throws IOException {
    FileStatus status = fs.getFileStatus(file);
    assertTrue(status.isFile() && !status.isDirectory(), "isFile of " + file);
    assertEquals(file, status.getPath(), "getPath()");
    assertEquals(3L * MIB, status.getLen(), "getLen()");
    assertTrue(status.getBlockSize() > 0, "getBlockSize() = " + status.getBlockSize() + " > 0");
    assertRecent(status);
    assertTrue(status.getOwner() != null && status.getGroup() != null, "owner and group set");
    assertTrue(status.getPermission() != null, "permission set");
  }

  private void sequentialRead(Path file) throws IOException {
    try (FSDataInputStream in = fs.open(file)) {
      assertEquals(pattern(0), (byte) in.read(), "read() of the first byte");
      byte[] buf = new byte[100_000];
      long offset = 1;
      for (int n = in.read(buf); n != -1; n = in.read(buf)) {
        assertPattern(buf, 0, n, offset);
        offset += n;
      }
      assertEquals(3L * MIB, offset, "bytes read before the end");
      assertEquals(-1, in.read(), "read() at the end");
      assertEquals(-1, in.read(buf, 0, 10), "read(buf) at the end");
    }
  }

  private void seekAndRead(Path file) throws IOException {
    long length = 3L * MIB;
    try (FSDataInputStream in = fs.open(file)) {
      for (long offset : new long[] {MIB, 0, 1, 4095, 1_234_567, length - 10, 2L * MIB + 1}) {
        in.seek(offset);
        assertEquals(offset, in.getPos(), "getPos() after seek(" + offset + ")");
        byte[] buf = new byte[(int) Math.min(64, length - offset)];
        in.readFully(buf);
        assertPattern(buf, 0, buf.length, offset);
        assertEquals(offset + buf.length, in.getPos(), "getPos() after reading at " + offset);
      }
      in.seek(length);
      assertEquals(length, in.getPos(), "getPos() after seek to the end");
      assertEquals(-1, in.read(), "read() after seek to the end");
    }
  }

  private void positionedRead(Path file) throws Exception {
    long length = 3L * MIB;
    try (FSDataInputStream in = fs.open(file)) {
      in.seek(100);
      byte[] buf = new byte[4096];
      in.readFully(2L * MIB, buf);
      assertPattern(buf, 0, buf.length, 2L * MIB);
      assertEquals(100L, in.getPos(), "getPos() after readFully(position, buf)");
      assertEquals(5, in.read(length - 5, buf, 0, 10), "read(position, ...) of the last 5 bytes");
      assertPattern(buf, 0, 5, length - 5);
      assertEquals(-1, in.read(length, buf, 0, 10), "read(position, ...) at the end");
      expectThrows(EOFException.class, "readFully(position, ...) past the end",
          () -> in.readFully(length - 5, new byte[10]));
      assertEquals(100L, in.getPos(), "getPos() after positioned reads");
      assertEquals(pattern(100), (byte) in.read(), "read() after positioned reads");
    }
  }

  private void seekPastEnd(Path file) throws Exception {
    try (FSDataInputStream in = fs.open(file)) {
      in.seek(10);
      expectThrows(EOFException.class, "seek past the end", () -> in.seek(3L * MIB + 1));
      expectThrows(EOFException.class, "seek(-1)", () -> in.seek(-1));
      assertEquals(10L, in.getPos(), "getPos() after failed seeks");
      assertEquals(pattern(10), (byte) in.read(), "read() after failed seeks");
    }
  }

  private void availableAndSkip(Path file) throws IOException {
    long length = 3L * MIB;
    try (FSDataInputStream in = fs.open(file)) {
      assertEquals(length, (long) in.available(), "available() at the start");
      assertEquals(1000L, in.skip(1000), "skip(1000)");
      assertEquals(1000L, in.getPos(), "getPos() after skip");
      assertEquals(length - 1000, (long) in.available(), "available() after skip");
      assertEquals(pattern(1000), (byte) in.read(), "read() after skip");
      assertEquals(length - 1001, in.skip(length), "skip past the end stops at the end");
      assertEquals(0, in.available(), "available() at the end");
      assertEquals(0L, in.skip(10), "skip at the end");
      assertEquals(-1, in.read(), "read() at the end");
    }
  }

  private void createWithoutOverwrite(Path file) throws Exception {
    expectThrows(FileAlreadyExistsException.class, "create(existing, overwrite=false)",
        () -> fs.create(file, false).close());
    assertEquals(3L * MIB, fs.getFileStatus(file).getLen(), "length after failed create");
  }

  private void createWithOverwrite() throws IOException {
    Path file = new Path(base, "data/overwritten");
    writeBytes(file, "first version, longer".getBytes(StandardCharsets.UTF_8));
    byte[] second = "second".getBytes(StandardCharsets.UTF_8);
    try (FSDataOutputStream out = fs.create(file, true)) {
      out.write(second);
    }
    assertEquals((long) second.length, fs.getFileStatus(file).getLen(), "length after overwrite");
    assertTrue(Arrays.equals(second, readAll(file)), "content after overwrite");
  }

  private void createOverDirectory() throws Exception {
    Path dir = new Path(base, "dir");
    expectThrows(FileAlreadyExistsException.class, "create(directory, overwrite=true)",
        () -> fs.create(dir, true).close());
    assertTrue(fs.getFileStatus(dir).isDirectory(), "the directory is still there");
  }

  private void createNonRecursive() throws Exception {
    Path file = new Path(base, "dir/non-recursive");
    try (FSDataOutputStream out = fs.createNonRecursive(file, false, 4096, (short) 1, MIB, null)) {
      out.write(7);
    }
    assertEquals(1L, fs.getFileStatus(file).getLen(), "length of the non-recursive create");
    Path orphan = new Path(base, "no-such-parent/file");
    expectThrows(FileNotFoundException.class, "createNonRecursive under a missing parent",
        () -> fs.createNonRecursive(orphan, false, 4096, (short) 1, MIB, null).close());
  }

  private void append(Path file) throws Exception {
    expectThrows(UnsupportedOperationException.class, "append", () -> fs.append(file));
  }

  private void listStatus() throws Exception {
    Path dir = new Path(base, "list");
    writeBytes(new Path(dir, "a"), new byte[10]);
    writeBytes(new Path(dir, "b"), new byte[20]);
    assertTrue(fs.mkdirs(new Path(dir, "c")), "mkdirs");
    Map<String, FileStatus> entries = new TreeMap<>();
    for (FileStatus status : fs.listStatus(dir)) {
      entries.put(status.getPath().getName(), status);
      assertEquals(new Path(dir, status.getPath().getName()), status.getPath(), "entry path");
    }
    assertEquals("[a, b, c]", entries.keySet().toString(), "entry names");
    assertTrue(!entries.get("a").isDirectory() && !entries.get("b").isDirectory()
        && entries.get("c").isDirectory(), "isDirectory of the entries");
    assertEquals(20L, entries.get("b").getLen(), "length of an entry");
    FileStatus[] ofFile = fs.listStatus(new Path(dir, "a"));
    assertEquals(1, ofFile.length, "entries when listing a file");
    assertEquals(new Path(dir, "a"), ofFile[0].getPath(), "a file lists itself");
    expectThrows(FileNotFoundException.class, "listStatus of a missing path",
        () -> fs.listStatus(new Path(base, "list-missing")));
  }

  private void renameFile() throws IOException {
    Path src = new Path(base, "rename/src");
    Path dst = new Path(base, "rename/dst");
    writeBytes(src, new byte[1000]);
    assertTrue(fs.rename(src, dst), "rename(src, dst)");
    assertTrue(!fs.exists(src), "the source is gone");
    assertEquals(1000L, fs.getFileStatus(dst).getLen(), "the destination's length");
  }

  private void renameIntoDirectory() throws IOException {
    Path file = new Path(base, "rename/mover");
    Path dir = new Path(base, "rename/into");
    writeBytes(file, new byte[10]);
    assertTrue(fs.mkdirs(dir), "mkdirs");
    assertTrue(fs.rename(file, dir), "rename(file, existing directory)");
    assertTrue(!fs.exists(file), "the source is gone");
    assertTrue(fs.exists(new Path(dir, "mover")), "the file moved into the directory");
  }

  private void renameMissingSource() throws IOException {
    assertTrue(!fs.rename(new Path(base, "rename/missing"), new Path(base, "rename/x")),
        "rename of a missing source returns false");
    assertTrue(!fs.exists(new Path(base, "rename/x")), "nothing appeared");
  }

  private void renameOntoItself() throws IOException {
    Path file = new Path(base, "rename/self");
    writeBytes(file, new byte[10]);
    assertTrue(fs.rename(file, file), "rename of a file onto itself");
    assertTrue(fs.exists(file), "the file is still there");
  }

  private void renameOntoExistingFile() throws IOException {
    Path first = new Path(base, "rename/first");
    Path second = new Path(base, "rename/second");
    writeBytes(first, new byte[1]);
    writeBytes(second, new byte[2]);
    assertTrue(!fs.rename(first, second), "rename onto an existing file returns false");
    assertEquals(1L, fs.getFileStatus(first).getLen(), "the source is untouched");
    assertEquals(2L, fs.getFileStatus(second).getLen(), "the destination is untouched");
  }

  private void delete() throws Exception {
    Path dir = new Path(base, "delete");
    Path file = new Path(dir, "file");
    writeBytes(file, new byte[10]);
    writeBytes(new Path(dir, "other"), new byte[10]);
    assertTrue(!fs.delete(new Path(base, "delete-missing"), false), "delete of a missing path");
    expectThrows(IOException.class, "non-recursive delete of a non-empty directory",
        () -> fs.delete(dir, false));
    assertTrue(fs.exists(file), "the directory's files survive a failed delete");
    assertTrue(fs.delete(file, false), "delete of a file");
    assertTrue(!fs.exists(file), "the file is gone");
    assertTrue(fs.delete(dir, true), "recursive delete");
    assertTrue(!fs.exists(dir), "the directory is gone");
  }

  private void blockLocations() throws IOException {
    Path file = new Path(base, "blocks/small-blocks");
    long length = 5L * MIB / 2;
    try (FSDataOutputStream out = fs.create(file, true, 4096, (short) 1, MIB)) {
      writePattern(out, 0, length);
    }
    FileStatus status = fs.getFileStatus(file);
    assertEquals((long) MIB, status.getBlockSize(), "getBlockSize()");
    BlockLocation[] blocks = fs.getFileBlockLocations(status, 0, length);
    assertEquals(3, blocks.length, "number of blocks");
    long expectedOffset = 0;
    for (BlockLocation block : blocks) {
      assertEquals(expectedOffset, block.getOffset(), "block offset");
      expectedOffset += block.getLength();
      assertTrue(block.getHosts().length >= 1,
          "block at " + block.getOffset() + " has a host (cached by the write)");
      assertEquals(block.getHosts().length, block.getNames().length, "as many names as hosts");
      for (int i = 0; i < block.getNames().length; i++) {
        assertTrue(block.getNames()[i].startsWith(block.getHosts()[i] + ":"),
            "name " + block.getNames()[i] + " is host:port of " + block.getHosts()[i]);
      }
    }
    assertEquals(length, expectedOffset, "the block lengths add up to the file's");
    BlockLocation[] middle = fs.getFileBlockLocations(status, MIB + MIB / 2, 1);
    assertEquals(1, middle.length, "blocks holding one byte");
    assertEquals((long) MIB, middle[0].getOffset(), "offset of the block holding 1.5 MiB");
    assertEquals(2, fs.getFileBlockLocations(file, MIB - 1, 2).length,
        "blocks of a range across a block boundary");
    assertEquals(0, fs.getFileBlockLocations(status, length, 10).length,
        "blocks past the end");
  }

  private void listLocatedStatus() throws IOException {
    Path dir = new Path(base, "blocks");
    RemoteIterator<LocatedFileStatus> entries = fs.listLocatedStatus(dir);
    assertTrue(entries.hasNext(), "listLocatedStatus lists the file of " + dir);
    LocatedFileStatus entry = entries.next();
    assertEquals(new Path(dir, "small-blocks"), entry.getPath(), "the entry's path");
    assertEquals(3, entry.getBlockLocations().length, "the entry's blocks");
    assertTrue(!entries.hasNext(), "listLocatedStatus lists one entry");
  }

  private void contentSummary() throws IOException {
    Path dir = new Path(base, "summary");
    writeBytes(new Path(dir, "x"), new byte[10]);
    writeBytes(new Path(dir, "y"), new byte[20]);
    writeBytes(new Path(dir, "sub/z"), new byte[30]);
    ContentSummary summary = fs.getContentSummary(dir);
    assertEquals(3L, summary.getFileCount(), "file count");
    assertEquals(2L, summary.getDirectoryCount(), "directory count (itself and sub)");
    assertEquals(60L, summary.getLength(), "length");
  }

  private void writeTypePerCall() throws Exception {
    Configuration throughConf = new Configuration(conf);
    throughConf.set("alluxio.user.file.writetype.default", "THROUGH");
    Path through = new Path(base, "write-type/through");
    Path cached = new Path(base, "write-type/must-cache");
    try (org.apache.hadoop.fs.FileSystem other =
        org.apache.hadoop.fs.FileSystem.newInstance(baseUri, throughConf)) {
      writeBytes(other, through, new byte[1000]);
      // The same instance honours the value the configuration holds at each call.
      throughConf.set("alluxio.user.file.writetype.default", "MUST_CACHE");
      writeBytes(other, cached, new byte[1000]);
    }
    NativeStatus throughStatus = nativeStatus(through);
    assertTrue(throughStatus.persisted, "a THROUGH file is persisted");
    assertEquals(0, throughStatus.inMemoryPercentage, "in-memory percentage of a THROUGH file");
    NativeStatus cachedStatus = nativeStatus(cached);
    assertTrue(!cachedStatus.persisted, "a MUST_CACHE file is not persisted");
    assertEquals(100, cachedStatus.inAlluxioPercentage, "cached percentage of a MUST_CACHE file");
  }

  private void readTypePerCall() throws Exception {
    Path file = new Path(base, "write-type/through");
    Configuration readConf = new Configuration(conf);
    readConf.set("alluxio.user.file.readtype.default", "NO_CACHE");
    try (org.apache.hadoop.fs.FileSystem other =
        org.apache.hadoop.fs.FileSystem.newInstance(baseUri, readConf)) {
      assertEquals(1000, readAll(other, file).length, "bytes read with NO_CACHE");
      assertEquals(0, nativeStatus(file).inAlluxioPercentage, "cached after a NO_CACHE read");
      readConf.set("alluxio.user.file.readtype.default", "CACHE");
      assertEquals(1000, readAll(other, file).length, "bytes read with CACHE");
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (nativeStatus(file).inAlluxioPercentage != 100) {
      assertTrue(System.currentTimeMillis() < deadline,
          "a CACHE read caches the file within 10 s (cached: "
              + nativeStatus(file).inAlluxioPercentage + "%)");
      Thread.sleep(100);
    }
  }

  private void workingDirectory() throws IOException {
    try (org.apache.hadoop.fs.FileSystem other =
        org.apache.hadoop.fs.FileSystem.newInstance(baseUri, conf)) {
      assertEquals(other.makeQualified(new Path("/")), other.getWorkingDirectory(),
          "the initial working directory");
      other.setWorkingDirectory(new Path(base, "dir"));
      writeBytes(other, new Path("relative"), new byte[3]);
      assertEquals(3L, fs.getFileStatus(new Path(base, "dir/relative")).getLen(),
          "a relative path resolves against the working directory");
    }
  }

  private void closedStreams(Path file) throws Exception {
    FSDataInputStream in = fs.open(file);
    in.close();
    expectThrows(IOException.class, "read() of a closed stream", in::read);
    expectThrows(IOException.class, "read(buf) of a closed stream", () -> in.read(new byte[8]));
    expectThrows(IOException.class, "positioned read of a closed stream",
        () -> in.read(0, new byte[8], 0, 8));
    expectThrows(IOException.class, "seek of a closed stream", () -> in.seek(0));
    expectThrows(IOException.class, "getPos of a closed stream", in::getPos);
    expectThrows(IOException.class, "available of a closed stream", in::available);
    in.close();

    FSDataOutputStream out = fs.create(new Path(base, "data/closed-output"));
    out.write(1);
    out.close();
    expectThrows(IOException.class, "write(int) to a closed stream", () -> out.write(1));
    expectThrows(IOException.class, "write(buf) to a closed stream",
        () -> out.write(new byte[MIB]));
    out.close();
  }

  private void missingFile() throws Exception {
    Path missing = new Path(base, "no-such-file");
    expectThrows(FileNotFoundException.class, "open of a missing file", () -> fs.open(missing));
    expectThrows(FileNotFoundException.class, "getFileStatus of a missing file",
        () -> fs.getFileStatus(missing));
  }

  private void closeFileSystem(Path file) throws Exception {
    org.apache.hadoop.fs.FileSystem other =
        org.apache.hadoop.fs.FileSystem.newInstance(baseUri, conf);
    try (FSDataInputStream in = other.open(file)) {
      other.close();
      Throwable thrown = expectThrows(IOException.class, "getFileStatus after close",
          () -> other.getFileStatus(file));
      assertTrue(String.valueOf(thrown.getMessage()).contains("closed"),
          "the message says the file system is closed: " + thrown.getMessage());
      other.close();
      byte[] buf = new byte[10];
      in.readFully(buf);
      assertPattern(buf, 0, buf.length, 0);
    }
  }

  /** Checks that any call to a master that does not listen fails fast with ConnectException. */
  private static int lostMaster(URI uri) {
    Configuration conf = configuration();
    conf.set("alluxio.user.rpc.retry.max.duration", "2s");
    ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "lost-master-call");
      thread.setDaemon(true);
      return thread;
    });
    Future<FileStatus> call = executor.submit(() -> {
      try (org.apache.hadoop.fs.FileSystem fs =
          org.apache.hadoop.fs.FileSystem.newInstance(uri, conf)) {
        return fs.getFileStatus(new Path("/"));
      }
    });
    long start = System.nanoTime();
    try {
      FileStatus status = call.get(LOST_MASTER_LIMIT_SECONDS, TimeUnit.SECONDS);
      System.out.println("FAIL lost-master: getFileStatus succeeded: " + status);
      return 1;
    } catch (ExecutionException e) {
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      if (e.getCause() instanceof ConnectException) {
        System.out.println("PASS lost-master");
        System.err.println("lost-master: " + e.getCause() + " after " + seconds + " s");
        return 0;
      }
      System.out.println("FAIL lost-master: threw " + e.getCause() + " instead of a"
          + " ConnectException");
      e.getCause().printStackTrace();
      return 1;
    } catch (TimeoutException e) {
      System.out.println("FAIL lost-master: no answer within " + LOST_MASTER_LIMIT_SECONDS + " s");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.out.println("FAIL lost-master: interrupted");
      return 1;
    }
  }

  /**
   * Writes a file in {@code dir} as the Hadoop users alice and mallory ({@code doAs}), with a
   * login user whom the master lets act for alice only: alice's file is hers, mallory's write is
   * refused naming the rule to set.
   */
  private static int impersonation(URI dir) throws Exception {
    Configuration conf = configuration();
    int failures = 0;
    Path file = new Path(dir.toString(), "alice-file");
    String owner = asHadoopUser("alice", () -> {
      org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.get(dir, conf);
      writeBytes(fs, file, "alice's".getBytes(StandardCharsets.UTF_8));
      return fs.getFileStatus(file).getOwner();
    });
    if (owner.equals("alice")) {
      System.out.println("PASS impersonation.allowed");
    } else {
      failures++;
      System.out.println("FAIL impersonation.allowed: the file belongs to " + owner);
    }
    try {
      asHadoopUser("mallory", () -> {
        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.get(dir, conf);
        writeBytes(fs, new Path(dir.toString(), "mallory-file"), new byte[1]);
        return "written";
      });
      failures++;
      System.out.println("FAIL impersonation.refused: mallory wrote a file");
    } catch (IOException e) {
      if (e.getMessage().contains("may not act for user=mallory")) {
        System.out.println("PASS impersonation.refused");
      } else {
        failures++;
        System.out.println("FAIL impersonation.refused: " + e);
      }
    }
    return failures;
  }

  private static String asHadoopUser(String user, PrivilegedExceptionAction<String> action)
      throws Exception {
    return UserGroupInformation.createRemoteUser(user).doAs(action);
  }

  /** The status of {@code path} as the native client sees it, through a connection of its own. */
  private NativeStatus nativeStatus(Path path) throws IOException {
    int port = baseUri.getPort() == -1 ? FileSystem.DEFAULT_MASTER_PORT : baseUri.getPort();
    long client = NativeClient.connect(new String[] {
        "alluxio.master.hostname", baseUri.getHost(),
        "alluxio.master.port", Integer.toString(port)}, null);
    try {
      return NativeClient.getStatus(client, path.toUri().getPath());
    } finally {
      NativeClient.disconnect(client);
    }
  }

  private void writeBytes(Path file, byte[] content) throws IOException {
    writeBytes(fs, file, content);
  }

  private static void writeBytes(org.apache.hadoop.fs.FileSystem fs, Path file, byte[] content)
      throws IOException {
    try (FSDataOutputStream out = fs.create(file, true)) {
      out.write(content);
    }
  }

  private byte[] readAll(Path file) throws IOException {
    return readAll(fs, file);
  }

  private static byte[] readAll(org.apache.hadoop.fs.FileSystem fs, Path file)
      throws IOException {
    try (FSDataInputStream in = fs.open(file)) {
      return in.readAllBytes();
    }
  }

  /** The byte at {@code offset} of the patterned files: 251 is prime, so no block aligns. */
  private static byte pattern(long offset) {
    return (byte) (offset % 251);
  }

  /**
   * Writes the pattern from {@code from} to {@code to} in pieces of many sizes, single bytes
   * included, so that both buffered and direct writes are exercised.
   */
  private static void writePattern(OutputStream out, long from, long to) throws IOException {
    int[] pieceSizes = {1, 7, 4096, 65_535, 65_536, 100_000, MIB};
    long offset = from;
    for (int piece = 0; offset < to; piece++) {
      int size = (int) Math.min(pieceSizes[piece % pieceSizes.length], to - offset);
      if (size == 1) {
        out.write(pattern(offset));
      } else {
        byte[] buf = new byte[size];
        for (int i = 0; i < size; i++) {
          buf[i] = pattern(offset + i);
        }
        out.write(buf);
      }
      offset += size;
    }
  }

  private static void assertPattern(byte[] buf, int off, int len, long fileOffset) {
    for (int i = 0; i < len; i++) {
      if (buf[off + i] != pattern(fileOffset + i)) {
        throw new AssertionError("byte " + (fileOffset + i) + " is " + buf[off + i]
            + " instead of " + pattern(fileOffset + i));
      }
    }
  }

  private static void assertRecent(FileStatus status) {
    long age = System.currentTimeMillis() - status.getModificationTime();
    assertTrue(Math.abs(age) < MINUTE_MS,
        "modification time " + status.getModificationTime() + " is within a minute of now");
  }

  private static void assertTrue(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError("expected: " + what);
    }
  }

  private static void assertEquals(Object expected, Object actual, String what) {
    if (!expected.equals(actual)) {
      throw new AssertionError(what + ": expected " + expected + ", got " + actual);
    }
  }

  /** A step of a check. */
  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }

  private static <T extends Throwable> T expectThrows(Class<T> type, String what, Step step) {
    try {
      step.run();
    } catch (Throwable thrown) {
      if (type.isInstance(thrown)) {
        return type.cast(thrown);
      }
      throw new AssertionError(what + " threw " + thrown + " instead of " + type.getSimpleName(),
          thrown);
    }
    throw new AssertionError(what + " did not throw " + type.getSimpleName());
  }

  /** Runs one named check and prints its outcome. */
  private void check(String name, Step check) {
    try {
      check.run();
      System.out.println("PASS " + name);
    } catch (Throwable thrown) {
      failures++;
      String reason = thrown instanceof AssertionError ? thrown.getMessage() : thrown.toString();
      System.out.println("FAIL " + name + ": " + reason);
      thrown.printStackTrace();
    }
  }
}
