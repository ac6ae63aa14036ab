package alluxio.hadoop;

import alluxio.jni.NativeBlock;
import alluxio.jni.NativeClient;
import alluxio.jni.NativeLibrary;
import alluxio.jni.NativeStatus;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.util.Progressable;

/**
 * The Hadoop {@link org.apache.hadoop.fs.FileSystem} of the {@code alluxio://} scheme, a thin
 * layer over the native Alluxio client ({@link NativeClient}).
 *
 * <p>Hadoop finds it by the {@code alluxio} scheme when the client jar is on the class path (the
 * jar registers it as a service), or when {@code fs.alluxio.impl=alluxio.hadoop.FileSystem} is
 * set (in Spark: {@code spark.hadoop.fs.alluxio.impl}).
 *
 * <p>The URI names the master: {@code alluxio://host:port/path}, where the port defaults to
 * {@value #DEFAULT_MASTER_PORT}. {@code alluxio:///path} connects to the master that
 * {@code alluxio.master.hostname} configures.
 *
 * <p>The Alluxio configuration is alluxio-site.properties, found as the Alluxio command line finds
 * it ({@code ALLUXIO_CONF_DIR}, {@code ALLUXIO_HOME/conf}, ...), overridden by every
 * {@code alluxio.*} property of the Hadoop configuration, overridden by every {@code alluxio.*}
 * JVM system property, overridden by the master of the URI. The write type
 * ({@value #WRITE_TYPE}), read type ({@value #READ_TYPE}) and block size ({@value #BLOCK_SIZE})
 * are read again at each call that uses them, so a job may change them in the Hadoop
 * configuration of a file system it already holds.
 *
 * <p>The client logs in as {@code alluxio.security.login.username} (else the OS user) and acts
 * for the Hadoop user that created the file system ({@code UserGroupInformation}, so a
 * {@code doAs} block's user): files it creates are that user's, and the master checks that
 * user's permissions, once its rules let the login user act for them
 * ({@code alluxio.master.security.impersonation.<login user>.users|groups}).
 * {@code alluxio.security.login.impersonation.username=_NONE_} acts for nobody, another value
 * for that user.
 *
 * <p>Differences from HDFS: files cannot be appended to; permissions and replication given to
 * {@code create} and {@code mkdirs} are ignored (Alluxio applies its own defaults, and the number
 * of cached copies depends on reads, not on a setting); {@code rename} returns false instead of
 * throwing when the source is missing or the destination is taken.
 */
public class FileSystem extends org.apache.hadoop.fs.FileSystem {
  /** The URI scheme. */
  public static final String SCHEME = "alluxio";
  /** The master port when the URI gives none. */
  public static final int DEFAULT_MASTER_PORT = 19998;

  /** Frees the native handles of file systems and streams that are never closed. */
  static final Cleaner CLEANER = Cleaner.create();

  private static final String MASTER_HOSTNAME = "alluxio.master.hostname";
  private static final String MASTER_PORT = "alluxio.master.port";
  private static final String WRITE_TYPE = "alluxio.user.file.writetype.default";
  private static final String READ_TYPE = "alluxio.user.file.readtype.default";
  private static final String BLOCK_SIZE = "alluxio.user.block.size.bytes.default";
  /** The native client's default of {@value #BLOCK_SIZE}. */
  private static final long DEFAULT_BLOCK_SIZE = 512L << 20;
  /** Alluxio's byte sizes: a number and an optional binary unit, such as 512MB or 1.5g. */
  private static final Pattern BYTE_SIZE =
      Pattern.compile("(\\d+(?:\\.\\d*)?)\\s*([kmgtp]?)b?", Pattern.CASE_INSENSITIVE);

  private URI uri;
  private Path workingDirectory;
  private Connection connection;
  private Cleaner.Cleanable cleanable;

  /** Creates a file system that {@link #initialize} then connects; Hadoop calls both. */
  public FileSystem() {}

  /**
   * Connects to the Alluxio master of {@code name}, configured as the class comment describes.
   *
   * @throws IOException if the native library cannot be loaded, the URI's authority is not
   *     {@code host[:port]}, or the configuration is invalid
   */
  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    setConf(conf);
    Map<String, String> properties = alluxioProperties(conf);
    if (name.getAuthority() == null) {
      uri = URI.create(SCHEME + ":///");
    } else {
      if (name.getHost() == null) {
        throw new IOException("Cannot tell the Alluxio master from " + name
            + ": write its address as alluxio://host:port/ (or alluxio:/// for the master that "
            + MASTER_HOSTNAME + " configures)");
      }
      int port = name.getPort() == -1 ? DEFAULT_MASTER_PORT : name.getPort();
      properties.put(MASTER_HOSTNAME, name.getHost());
      properties.put(MASTER_PORT, Integer.toString(port));
      uri = URI.create(SCHEME + "://" + name.getHost() + ":" + port);
    }
    workingDirectory = new Path("/").makeQualified(uri, null);
    try {
      NativeLibrary.load();
    } catch (UnsatisfiedLinkError e) {
      throw new IOException(e.getMessage(), e);
    }
    List<String> keyValues = new ArrayList<>();
    properties.forEach((key, value) -> {
      keyValues.add(key);
      keyValues.add(value);
    });
    // Hadoop caches a file system per user: this one acts for the user that asked for it.
    String hadoopUser = UserGroupInformation.getCurrentUser().getShortUserName();
    connection = new Connection(
        NativeClient.connect(keyValues.toArray(new String[0]), hadoopUser), uri);
    cleanable = CLEANER.register(this, connection::disconnect);
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  /**
   * Returns {@code alluxio://host:port}, or {@code alluxio:///} if the URI given to
   * {@link #initialize} names no master (the configured one is used).
   */
  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  protected int getDefaultPort() {
    return DEFAULT_MASTER_PORT;
  }

  /** Returns the directory relative paths are resolved against; {@code /} at first. */
  @Override
  public Path getWorkingDirectory() {
    return workingDirectory;
  }

  @Override
  public void setWorkingDirectory(Path directory) {
    workingDirectory = makeQualified(directory);
  }

  /**
   * Returns {@value #BLOCK_SIZE} as a JVM system property or the Hadoop configuration sets it,
   * else the native client's default, 512 MiB. Hadoop passes this to {@link #create} when the
   * caller gives no block size. A value set only in alluxio-site.properties is not seen here: set
   * it in the Hadoop configuration too.
   *
   * @throws IllegalArgumentException if the value is not a size such as 512MB
   */
  @Override
  public long getDefaultBlockSize(Path path) {
    String value = userProperty(BLOCK_SIZE);
    if (value == null) {
      return DEFAULT_BLOCK_SIZE;
    }
    Matcher size = BYTE_SIZE.matcher(value.trim());
    if (!size.matches()) {
      throw new IllegalArgumentException(BLOCK_SIZE + " = " + value
          + " is not a size: write it as a number of bytes with an optional unit, such as 512MB");
    }
    String unit = size.group(2).toUpperCase(Locale.ROOT);
    int shift = unit.isEmpty() ? 0 : 10 * ("KMGTP".indexOf(unit.charAt(0)) + 1);
    return Math.round(Double.parseDouble(size.group(1)) * (1L << shift));
  }

  /**
   * Returns {@link #getDefaultBlockSize(Path)}, for callers of this older form.
   *
   * @deprecated use {@link #getDefaultBlockSize(Path)}
   */
  @Deprecated
  @Override
  public long getDefaultBlockSize() {
    return getDefaultBlockSize(new Path("/"));
  }

  /**
   * Opens a file. {@code bufferSize} is ignored: reads go straight into the caller's array, so
   * the caller's buffer is the read-ahead.
   */
  @Override
  public FSDataInputStream open(Path path, int bufferSize) throws IOException {
    String file = alluxioPath(path);
    String readType = userProperty(READ_TYPE);
    statistics.incrementReadOps(1);
    long in = connection.get(fs -> NativeClient.openFile(fs, file, readType));
    return new FSDataInputStream(new AlluxioInputStream(in, path.toString(), statistics));
  }

  /**
   * Creates a file, and its missing parent directories. The file appears when the stream is
   * closed. {@code permission}, {@code bufferSize}, {@code replication} and {@code progress} are
   * ignored.
   *
   * @throws FileAlreadyExistsException if a directory is at {@code path}, or a file and not
   *     {@code overwrite}
   */
  @Override
  public FSDataOutputStream create(Path path, FsPermission permission, boolean overwrite,
      int bufferSize, short replication, long blockSize, Progressable progress)
      throws IOException {
    return create(path, overwrite, blockSize, true);
  }

  /**
   * As {@link #create}, except that the parent directory must exist.
   *
   * @throws FileNotFoundException if the parent directory does not exist
   * @throws UnsupportedOperationException if {@code flags} holds {@link CreateFlag#APPEND}
   */
  @Override
  public FSDataOutputStream createNonRecursive(Path path, FsPermission permission,
      EnumSet<CreateFlag> flags, int bufferSize, short replication, long blockSize,
      Progressable progress) throws IOException {
    if (flags.contains(CreateFlag.APPEND)) {
      throw appendUnsupported(path);
    }
    return create(path, flags.contains(CreateFlag.OVERWRITE), blockSize, false);
  }

  /**
   * Always throws: Alluxio files cannot be appended to.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public FSDataOutputStream append(Path path, int bufferSize, Progressable progress) {
    throw appendUnsupported(path);
  }

  /**
   * Renames {@code src} to {@code dst}, or moves it into {@code dst} if that is a directory.
   *
   * @return true if renamed, or if {@code src} exists and already is the destination; false if
   *     {@code src} does not exist or is the root, the destination exists, or its parent does
   *     not exist
   * @throws IOException if the master cannot be reached, permission is denied, or the rename is
   *     invalid otherwise (such as moving a directory into itself)
   */
  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    String source = alluxioPath(src);
    String requested = alluxioPath(dst);
    statistics.incrementWriteOps(1);
    if (source.equals("/")) {
      return false;
    }
    if (source.equals(requested)) {
      return nativeExists(source);
    }
    NativeStatus existing = statusOrNull(requested);
    String target = existing != null && existing.directory
        ? child(requested, source.substring(source.lastIndexOf('/') + 1))
        : requested;
    if (source.equals(target)) {
      return nativeExists(source);
    }
    try {
      connection.run(fs -> NativeClient.rename(fs, source, target));
      return true;
    } catch (FileNotFoundException | FileAlreadyExistsException e) {
      return false;
    }
  }

  /**
   * Deletes a file or directory.
   *
   * @return true if deleted, false if it does not exist
   * @throws org.apache.hadoop.fs.PathIsNotEmptyDirectoryException if it is a non-empty directory
   *     and not {@code recursive}
   */
  @Override
  public boolean delete(Path path, boolean recursive) throws IOException {
    String target = alluxioPath(path);
    statistics.incrementWriteOps(1);
    try {
      connection.run(fs -> NativeClient.delete(fs, target, recursive));
      return true;
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  /**
   * Lists a directory's entries; a file lists itself.
   *
   * @throws FileNotFoundException if {@code path} does not exist
   */
  @Override
  public FileStatus[] listStatus(Path path) throws IOException {
    String target = alluxioPath(path);
    statistics.incrementReadOps(1);
    NativeStatus[] entries = connection.get(fs -> NativeClient.listStatus(fs, target));
    FileStatus[] statuses = new FileStatus[entries.length];
    for (int i = 0; i < entries.length; i++) {
      statuses[i] = toFileStatus(entries[i]);
    }
    return statuses;
  }

  /**
   * Creates a directory and its missing parents; {@code permission} is ignored.
   *
   * @return true, also if the directory exists already
   * @throws FileAlreadyExistsException if a file is at {@code path}
   */
  @Override
  public boolean mkdirs(Path path, FsPermission permission) throws IOException {
    String directory = alluxioPath(path);
    String writeType = userProperty(WRITE_TYPE);
    statistics.incrementWriteOps(1);
    connection.run(fs -> NativeClient.createDirectory(fs, directory, true, true, writeType));
    return true;
  }

  /**
   * Returns the status of a file or directory. Directories have length 0, as in HDFS; files have
   * replication 1; the access time is the modification time, as Alluxio does not track accesses.
   *
   * @throws FileNotFoundException if {@code path} does not exist
   */
  @Override
  public FileStatus getFileStatus(Path path) throws IOException {
    String target = alluxioPath(path);
    statistics.incrementReadOps(1);
    return toFileStatus(connection.get(fs -> NativeClient.getStatus(fs, target)));
  }

  @Override
  public boolean exists(Path path) throws IOException {
    String target = alluxioPath(path);
    statistics.incrementReadOps(1);
    return nativeExists(target);
  }

  /**
   * Returns the blocks of {@code file} that overlap {@code [start, start + len)} (with
   * {@code len} 0, the block holding {@code start}), each with the workers caching it as hosts and
   * as {@code host:dataPort} names. A block no worker caches has no hosts.
   */
  @Override
  public BlockLocation[] getFileBlockLocations(FileStatus file, long start, long len)
      throws IOException {
    if (file == null) {
      return null;
    }
    if (start < 0 || len < 0) {
      throw new IllegalArgumentException("Invalid start (" + start + ") or len (" + len + ")");
    }
    if (file.getLen() <= start) {
      return new BlockLocation[0];
    }
    String target = alluxioPath(file.getPath());
    statistics.incrementReadOps(1);
    NativeBlock[] blocks = connection.get(fs -> NativeClient.blockLocations(fs, target));
    long span = Math.max(len, 1);
    long end = span > Long.MAX_VALUE - start ? Long.MAX_VALUE : start + span;
    List<BlockLocation> locations = new ArrayList<>();
    for (NativeBlock block : blocks) {
      if (block.offset < end && block.offset + block.length > start) {
        locations.add(new BlockLocation(block.names, block.hosts, block.offset, block.length));
      }
    }
    return locations.toArray(new BlockLocation[0]);
  }

  /**
   * Deletes the paths marked delete-on-exit, then disconnects from the master. Open streams stay
   * usable until they are closed; any other call fails. Closing again does nothing.
   */
  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      if (cleanable != null) {
        cleanable.clean();
      }
    }
  }

  /** The {@code alluxio.*} properties of {@code conf}, overridden by JVM system properties. */
  private static Map<String, String> alluxioProperties(Configuration conf) {
    Map<String, String> properties = new TreeMap<>();
    for (Map.Entry<String, String> entry : conf) {
      String value = conf.get(entry.getKey());
      if (isAlluxioProperty(entry.getKey()) && value != null) {
        properties.put(entry.getKey(), value);
      }
    }
    Properties system = System.getProperties();
    for (String key : system.stringPropertyNames()) {
      if (isAlluxioProperty(key)) {
        properties.put(key, system.getProperty(key));
      }
    }
    return properties;
  }

  /** {@value NativeLibrary#LIBRARY_PROPERTY} only tells where the native library is. */
  private static boolean isAlluxioProperty(String key) {
    return key.startsWith("alluxio.") && !key.equals(NativeLibrary.LIBRARY_PROPERTY);
  }

  /**
   * An Alluxio property for this call: the JVM system property, else the Hadoop configuration's
   * current value (the precedence {@link #initialize} applies); null if neither sets it, leaving
   * the native client's configuration in charge.
   */
  private String userProperty(String key) {
    String value = System.getProperty(key);
    return value != null ? value : getConf().get(key);
  }

  /** The Alluxio path of {@code path}, after resolving it against the working directory. */
  private String alluxioPath(Path path) {
    String resolved = makeQualified(path).toUri().getPath();
    return resolved.isEmpty() ? "/" : resolved;
  }

  /** The Alluxio path of the entry {@code name} of {@code directory}. */
  private static String child(String directory, String name) {
    return directory.endsWith("/") ? directory + name : directory + "/" + name;
  }

  private FSDataOutputStream create(Path path, boolean overwrite, long blockSize,
      boolean createParents) throws IOException {
    String file = alluxioPath(path);
    if (overwrite) {
      deleteExistingFile(path, file);
    }
    String writeType = userProperty(WRITE_TYPE);
    statistics.incrementWriteOps(1);
    long out = connection.get(
        fs -> NativeClient.createFile(fs, file, blockSize, writeType, createParents));
    return new FSDataOutputStream(new AlluxioOutputStream(out, path.toString()), statistics);
  }

  /** Makes way for overwriting {@code file}: deletes it if it is a file, refuses a directory. */
  private void deleteExistingFile(Path path, String file) throws IOException {
    NativeStatus existing = statusOrNull(file);
    if (existing == null) {
      return;
    }
    if (existing.directory) {
      throw new FileAlreadyExistsException(
          "Cannot create file " + path + ": it is an existing directory");
    }
    try {
      connection.run(fs -> NativeClient.delete(fs, file, false));
    } catch (FileNotFoundException e) {
      // Deleted meanwhile by someone else: nothing is left to overwrite.
    }
  }

  private NativeStatus statusOrNull(String path) throws IOException {
    try {
      return connection.get(fs -> NativeClient.getStatus(fs, path));
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  private boolean nativeExists(String path) throws IOException {
    return connection.get(fs -> NativeClient.exists(fs, path));
  }

  private FileStatus toFileStatus(NativeStatus status) {
    return new FileStatus(status.directory ? 0 : status.length, status.directory, 1,
        status.blockSize, status.modificationTimeMs, status.modificationTimeMs,
        new FsPermission((short) status.mode), status.owner, status.group,
        new Path(status.path).makeQualified(uri, workingDirectory));
  }

  private static UnsupportedOperationException appendUnsupported(Path path) {
    return new UnsupportedOperationException("Cannot append to " + path
        + ": Alluxio files cannot be changed once written; write a new file instead");
  }

  /** A native call that uses the client handle and returns a value. */
  @FunctionalInterface
  private interface ClientCall<T> {
    T apply(long fs) throws IOException;
  }

  /** A native call that uses the client handle. */
  @FunctionalInterface
  private interface ClientAction {
    void apply(long fs) throws IOException;
  }

  /**
   * The native client handle; 0 once disconnected. Calls hold the read lock while they use the
   * handle, so any number run at once while {@link #disconnect} waits for them under the write
   * lock. The cleaning action of an unreachable file system is {@link #disconnect}, so this
   * object must not refer to the file system.
   */
  private static final class Connection {
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final URI uri;
    /** Guarded by {@link #lock}. */
    private long handle;

    Connection(long handle, URI uri) {
      this.handle = handle;
      this.uri = uri;
    }

    <T> T get(ClientCall<T> call) throws IOException {
      lock.readLock().lock();
      try {
        if (handle == 0) {
          throw new IOException("The file system " + uri
              + " is closed: get a new one with org.apache.hadoop.fs.FileSystem.get");
        }
        return call.apply(handle);
      } finally {
        lock.readLock().unlock();
      }
    }

    void run(ClientAction action) throws IOException {
      get(fs -> {
        action.apply(fs);
        return null;
      });
    }

    void disconnect() {
      lock.writeLock().lock();
      try {
        long fs = handle;
        handle = 0;
        if (fs != 0) {
          NativeClient.disconnect(fs);
        }
      } finally {
        lock.writeLock().unlock();
      }
    }
  }
}
