package alluxio.hadoop;

import alluxio.jni.NativeClient;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.util.Objects;
import org.apache.hadoop.fs.FSExceptionMessages;

/**
 * Writes a new Alluxio file through the native client. The file appears, complete, when
 * {@link #close()} returns; until then readers do not see it.
 *
 * <p>Writes smaller than the {@value #BUFFER_SIZE}-byte buffer are gathered before they are
 * handed to the native client; larger ones go straight from the caller's array.
 *
 * <p>If a write fails, the file is abandoned: later writes fail and {@link #close()} throws
 * rather than complete a file with bytes missing. A stream that is never closed is abandoned when
 * it is garbage collected. Thread-safe: calls are serialized.
 */
public final class AlluxioOutputStream extends OutputStream {
  /** How many bytes of small writes are gathered before they go to the native client. */
  static final int BUFFER_SIZE = 64 * 1024;

  private static final System.Logger LOG = System.getLogger(AlluxioOutputStream.class.getName());

  private final String path;
  private final StreamHandle handle;
  private final Cleaner.Cleanable cleanable;
  /** Bytes written but not yet handed to the native client; guarded by {@link #handle}. */
  private final byte[] buffer = new byte[BUFFER_SIZE];
  /** How many bytes of {@link #buffer} are used; guarded by {@link #handle}. */
  private int buffered;
  /** Why an earlier write failed, or null; guarded by {@link #handle}. */
  private IOException failure;

  /**
   * Takes ownership of an open native output stream.
   *
   * @param out the handle {@link NativeClient#createFile} returned
   * @param path the file's path, for messages
   */
  AlluxioOutputStream(long out, String path) {
    this.path = path;
    this.handle = new StreamHandle(out, path);
    this.cleanable = FileSystem.CLEANER.register(this, handle);
  }

  @Override
  public void write(int b) throws IOException {
    synchronized (handle) {
      long out = writableHandle();
      if (buffered == buffer.length) {
        drain(out);
      }
      buffer[buffered++] = (byte) b;
    }
  }

  @Override
  public void write(byte[] buf, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, buf.length);
    synchronized (handle) {
      long out = writableHandle();
      if (len > buffer.length - buffered) {
        drain(out);
      }
      if (len >= buffer.length) {
        writeNative(out, buf, off, len);
      } else {
        System.arraycopy(buf, off, buffer, buffered, len);
        buffered += len;
      }
    }
  }

  /**
   * Does nothing, on an open or a closed stream: an Alluxio file becomes readable, and as durable
   * as its write type makes it, only when {@link #close()} completes it, so there is nothing to
   * flush to. Buffered bytes go to the native client when the buffer fills or on close.
   */
  @Override
  public void flush() {}

  /**
   * Writes what is buffered and completes the file; does nothing if the stream is closed already.
   *
   * @throws IOException if the file cannot be completed, or an earlier write failed (the file is
   *     then abandoned)
   */
  @Override
  public void close() throws IOException {
    synchronized (handle) {
      long out = handle.release();
      // The handle is released, so this only unregisters the cleaning action.
      cleanable.clean();
      if (out == 0) {
        return;
      }
      if (failure != null) {
        NativeClient.cancelOut(out);
        throw new IOException(path + " was not created: an earlier write to it failed", failure);
      }
      try {
        drain(out);
      } catch (IOException e) {
        NativeClient.cancelOut(out);
        throw e;
      }
      NativeClient.closeOut(out);
    }
  }

  @Override
  public String toString() {
    return "AlluxioOutputStream(" + path + ")";
  }

  /** The native handle, if the stream is open and no write failed; the lock is held. */
  private long writableHandle() throws IOException {
    if (handle.value == 0) {
      throw new IOException(path + ": " + FSExceptionMessages.STREAM_IS_CLOSED);
    }
    if (failure != null) {
      throw new IOException("cannot write to " + path + ": an earlier write to it failed",
          failure);
    }
    return handle.value;
  }

  /** Hands the buffered bytes to the native client; the lock is held. */
  private void drain(long out) throws IOException {
    if (buffered > 0) {
      writeNative(out, buffer, 0, buffered);
      buffered = 0;
    }
  }

  /** Writes through the native client, remembering a failure; the lock is held. */
  private void writeNative(long out, byte[] buf, int off, int len) throws IOException {
    try {
      NativeClient.write(out, buf, off, len);
    } catch (IOException e) {
      failure = e;
      throw e;
    }
  }

  /**
   * The native handle, shared with the cleaning action; 0 once released. Native calls run with
   * its lock held, so it cannot be freed during one (even by the cleaner: the stream may become
   * unreachable while its last call is still running).
   */
  private static final class StreamHandle implements Runnable {
    private final String path;
    private long value;

    StreamHandle(long value, String path) {
      this.value = value;
      this.path = path;
    }

    /** Returns the handle and marks it released; 0 if it was released already. */
    synchronized long release() {
      long released = value;
      value = 0;
      return released;
    }

    /** Abandons the file of an unreachable {@link AlluxioOutputStream} that was never closed. */
    @Override
    public void run() {
      long out = release();
      if (out != 0) {
        LOG.log(System.Logger.Level.WARNING,
            "An output stream to {0} was garbage collected without being closed: the file is"
                + " abandoned. Close output streams to create their files.", path);
        NativeClient.cancelOut(out);
      }
    }
  }
}
