package alluxio.hadoop;

import alluxio.jni.NativeClient;
import java.io.EOFException;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.util.Objects;
import org.apache.hadoop.fs.FSExceptionMessages;
import org.apache.hadoop.fs.FSInputStream;

/**
 * Reads an Alluxio file through the native client: sequentially, with seeks, and at given
 * positions ({@link org.apache.hadoop.fs.PositionedReadable}).
 *
 * <p>There is no buffering on the Java side: each read fills the caller's array directly in one
 * native call, so the caller's buffer size is the read-ahead. Wrap the stream in a
 * {@link java.io.BufferedInputStream} for many tiny reads.
 *
 * <p>Thread-safe: calls are serialized, and a positioned read does not move the position that
 * sequential reads use. Closing is idempotent; any other call after {@link #close()} throws an
 * {@link IOException}. A stream that is never closed is closed when it is garbage collected.
 */
public final class AlluxioInputStream extends FSInputStream {
  private final String path;
  private final long length;
  private final StreamHandle handle;
  private final Cleaner.Cleanable cleanable;
  private final org.apache.hadoop.fs.FileSystem.Statistics statistics;
  /** The buffer of {@link #read()}; guarded by {@link #handle}. */
  private final byte[] singleByte = new byte[1];

  /**
   * Takes ownership of an open native input stream.
   *
   * @param in the handle {@link NativeClient#openFile} returned
   * @param path the file's path, for messages
   * @param statistics counts the bytes read; may be null
   */
  AlluxioInputStream(long in, String path, org.apache.hadoop.fs.FileSystem.Statistics statistics) {
    this.path = path;
    this.length = NativeClient.length(in);
    this.handle = new StreamHandle(in);
    this.cleanable = FileSystem.CLEANER.register(this, handle);
    this.statistics = statistics;
  }

  @Override
  public int read() throws IOException {
    synchronized (handle) {
      int read = NativeClient.read(openHandle(), singleByte, 0, 1);
      if (read <= 0) {
        return -1;
      }
      countBytesRead(1);
      return singleByte[0] & 0xff;
    }
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, buf.length);
    synchronized (handle) {
      long in = openHandle();
      if (len == 0) {
        return 0;
      }
      int read = NativeClient.read(in, buf, off, len);
      countBytesRead(read);
      return read;
    }
  }

  /**
   * Reads up to {@code len} bytes at {@code position} without moving the stream's position.
   *
   * @return the number of bytes read, or -1 at or after the end of the file
   */
  @Override
  public int read(long position, byte[] buf, int off, int len) throws IOException {
    validatePositionedReadArgs(position, buf, off, len);
    synchronized (handle) {
      long in = openHandle();
      if (len == 0) {
        return 0;
      }
      int read = NativeClient.positionedRead(in, position, buf, off, len);
      countBytesRead(read);
      return read;
    }
  }

  /**
   * Moves the position of sequential reads.
   *
   * @throws EOFException if {@code position} is negative or past the end of the file
   */
  @Override
  public void seek(long position) throws IOException {
    synchronized (handle) {
      NativeClient.seek(openHandle(), position);
    }
  }

  @Override
  public long getPos() throws IOException {
    synchronized (handle) {
      return NativeClient.position(openHandle());
    }
  }

  /** Returns false: the native client already picks the best worker for each block. */
  @Override
  public boolean seekToNewSource(long targetPosition) throws IOException {
    synchronized (handle) {
      openHandle();
      return false;
    }
  }

  /** Skips up to {@code n} bytes, stopping at the end of the file. */
  @Override
  public long skip(long n) throws IOException {
    synchronized (handle) {
      long in = openHandle();
      if (n <= 0) {
        return 0;
      }
      long from = NativeClient.position(in);
      long to = from + Math.min(n, length - from);
      NativeClient.seek(in, to);
      return to - from;
    }
  }

  /** Returns the bytes left in the file, up to {@link Integer#MAX_VALUE}. */
  @Override
  public int available() throws IOException {
    synchronized (handle) {
      long remaining = length - NativeClient.position(openHandle());
      return (int) Math.min(remaining, Integer.MAX_VALUE);
    }
  }

  /** Closes the native stream; does nothing if it is closed already. */
  @Override
  public void close() throws IOException {
    long in = handle.release();
    // The handle is released, so this only unregisters the cleaning action.
    cleanable.clean();
    if (in != 0) {
      NativeClient.closeIn(in);
    }
  }

  @Override
  public String toString() {
    return "AlluxioInputStream(" + path + ")";
  }

  /** The native handle; the caller holds the lock of {@link #handle} while it uses it. */
  private long openHandle() throws IOException {
    if (handle.value == 0) {
      throw new IOException(path + ": " + FSExceptionMessages.STREAM_IS_CLOSED);
    }
    return handle.value;
  }

  private void countBytesRead(int read) {
    if (statistics != null && read > 0) {
      statistics.incrementBytesRead(read);
    }
  }

  /**
   * The native handle, shared with the cleaning action; 0 once released. Native calls run with
   * its lock held, so it cannot be freed during one (even by the cleaner: the stream may become
   * unreachable while its last call is still running).
   */
  private static final class StreamHandle implements Runnable {
    private long value;

    StreamHandle(long value) {
      this.value = value;
    }

    /** Returns the handle and marks it released; 0 if it was released already. */
    synchronized long release() {
      long released = value;
      value = 0;
      return released;
    }

    /** Closes the stream of an unreachable {@link AlluxioInputStream} that was never closed. */
    @Override
    public void run() {
      long in = release();
      if (in != 0) {
        try {
          NativeClient.closeIn(in);
        } catch (IOException e) {
          // Nobody is left to tell: the stream was abandoned, and its handle is freed anyway.
        }
      }
    }
  }
}
