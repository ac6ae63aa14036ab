package alluxio.jni;

import java.io.IOException;

/**
 * The entry points of the native Alluxio client ({@code liballuxio_jni.so}).
 *
 * <p>Objects on the native side are handed out as opaque {@code long} handles: a client from
 * {@link #connect}, an input stream from {@link #openFile}, an output stream from
 * {@link #createFile}. 0 is never a valid handle. Each handle must be freed exactly once, by
 * {@link #disconnect}, {@link #closeIn}, {@link #closeOut} or {@link #cancelOut}, and never used
 * afterwards: the native side cannot detect a freed handle. A stream keeps its client alive on the
 * native side, so disconnecting while streams are open is safe.
 *
 * <p>Paths are Alluxio paths (absolute, such as {@code /dir/file}), never URIs. Failures are
 * thrown as {@link java.io.FileNotFoundException} (no such path),
 * {@link org.apache.hadoop.fs.FileAlreadyExistsException},
 * {@link org.apache.hadoop.fs.PathIsNotEmptyDirectoryException} (non-recursive delete of a
 * non-empty directory), {@link org.apache.hadoop.security.AccessControlException},
 * {@link java.net.ConnectException} (master or worker unreachable) or a plain
 * {@link IOException} whose message names the path and the cause.
 */
public final class NativeClient {
  static {
    NativeLibrary.load();
  }

  private NativeClient() {}

  /**
   * Creates a client configured as the Rust client is (alluxio-site.properties found through
   * {@code ALLUXIO_CONF_DIR}, {@code ALLUXIO_HOME/conf}, ...), with the given properties on top.
   *
   * @param keyValues Alluxio properties as alternating keys and values
   * @param hadoopUser the Hadoop user the client acts for when
   *     {@code alluxio.security.login.impersonation.username} is {@code _HDFS_USER_} (its default)
   * @return the client handle
   * @throws IOException if the configuration is invalid
   */
  public static native long connect(String[] keyValues, String hadoopUser) throws IOException;

  /**
   * Frees a client handle. Streams opened from it stay usable until they are closed.
   *
   * @param fs the client handle
   */
  public static native void disconnect(long fs);

  /**
   * Returns the status of a file or directory.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @return its status
   * @throws IOException if it does not exist or cannot be reached
   */
  public static native NativeStatus getStatus(long fs, String path) throws IOException;

  /**
   * Lists a directory; for a file, returns that file's status alone.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @return the statuses of the entries
   * @throws IOException if the path does not exist or cannot be reached
   */
  public static native NativeStatus[] listStatus(long fs, String path) throws IOException;

  /**
   * Tells whether a file or directory exists.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @return whether it exists
   * @throws IOException if the master cannot answer
   */
  public static native boolean exists(long fs, String path) throws IOException;

  /**
   * Creates a directory.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @param recursive whether to create missing parents
   * @param allowExists whether an existing directory at {@code path} is success
   * @param writeType MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH; null for the
   *     configured default
   * @throws IOException if it cannot be created
   */
  public static native void createDirectory(long fs, String path, boolean recursive,
      boolean allowExists, String writeType) throws IOException;

  /**
   * Deletes a file or directory.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @param recursive whether a non-empty directory is deleted with its contents
   * @throws IOException if it does not exist, or is a non-empty directory and not
   *     {@code recursive}, or cannot be deleted
   */
  public static native void delete(long fs, String path, boolean recursive) throws IOException;

  /**
   * Renames a file or directory; {@code dst} is the new path itself, not a parent.
   *
   * @param fs the client handle
   * @param src the Alluxio path to rename
   * @param dst its new Alluxio path
   * @throws IOException if {@code src} is missing, {@code dst} exists, or the rename fails
   */
  public static native void rename(long fs, String src, String dst) throws IOException;

  /**
   * Returns every block of a file, in file order, with the workers holding it.
   *
   * @param fs the client handle
   * @param path the Alluxio path of a file
   * @return its blocks
   * @throws IOException if the file does not exist or cannot be reached
   */
  public static native NativeBlock[] blockLocations(long fs, String path) throws IOException;

  /**
   * Opens a file for reading.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @param readType CACHE, CACHE_PROMOTE or NO_CACHE; null for the configured default
   *     ({@code alluxio.user.file.readtype.default})
   * @return the input stream handle
   * @throws IOException if the file does not exist or cannot be opened
   */
  public static native long openFile(long fs, String path, String readType) throws IOException;

  /**
   * Returns the length of the file an input stream reads.
   *
   * @param in the input stream handle
   * @return the file's length in bytes
   */
  public static native long length(long in);

  /**
   * Reads at the stream's position and advances it.
   *
   * @param in the input stream handle
   * @param buf where the bytes go
   * @param off where in {@code buf} the first byte goes
   * @param len the most bytes to read
   * @return the number of bytes read, or -1 at the end of the file
   * @throws IOException if the read fails
   */
  public static native int read(long in, byte[] buf, int off, int len) throws IOException;

  /**
   * Reads at a given position without moving the stream's position.
   *
   * @param in the input stream handle
   * @param position where in the file to read
   * @param buf where the bytes go
   * @param off where in {@code buf} the first byte goes
   * @param len the most bytes to read
   * @return the number of bytes read, or -1 at or after the end of the file
   * @throws IOException if the read fails
   */
  public static native int positionedRead(long in, long position, byte[] buf, int off, int len)
      throws IOException;

  /**
   * Moves the stream's position.
   *
   * @param in the input stream handle
   * @param position the new position, from 0 to the file's length
   * @throws java.io.EOFException if {@code position} is negative or past the end
   * @throws IOException if the seek fails otherwise
   */
  public static native void seek(long in, long position) throws IOException;

  /**
   * Returns the stream's position.
   *
   * @param in the input stream handle
   * @return the offset of the next byte {@link #read} returns
   */
  public static native long position(long in);

  /**
   * Closes an input stream and frees its handle, also when it throws.
   *
   * @param in the input stream handle
   * @throws IOException if releasing the stream's resources fails
   */
  public static native void closeIn(long in) throws IOException;

  /**
   * Creates a file and opens it for writing. The file becomes visible when
   * {@link #closeOut} completes it.
   *
   * @param fs the client handle
   * @param path the Alluxio path
   * @param blockSize the block size in bytes; 0 for the configured default
   * @param writeType MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH; null for the
   *     configured default ({@code alluxio.user.file.writetype.default})
   * @param recursive whether to create missing parent directories
   * @return the output stream handle
   * @throws IOException if the file exists or cannot be created
   */
  public static native long createFile(long fs, String path, long blockSize, String writeType,
      boolean recursive) throws IOException;

  /**
   * Appends bytes to the file being written.
   *
   * @param out the output stream handle
   * @param buf the bytes
   * @param off where in {@code buf} the first byte is
   * @param len how many bytes to write
   * @throws IOException if the write fails
   */
  public static native void write(long out, byte[] buf, int off, int len) throws IOException;

  /**
   * Completes the file and frees the output stream handle, also when it throws.
   *
   * @param out the output stream handle
   * @throws IOException if the file cannot be completed
   */
  public static native void closeOut(long out) throws IOException;

  /**
   * Abandons the file being written (it never becomes visible) and frees the output stream
   * handle.
   *
   * @param out the output stream handle
   */
  public static native void cancelOut(long out);
}
