package alluxio.jni;

/**
 * A block of a file and the workers holding a copy of it. Immutable by convention: the arrays are
 * handed over by the native library and must not be modified.
 *
 * <p>Built by the native library, which calls the constructor with exactly this parameter list:
 * keep the two in step.
 */
public final class NativeBlock {
  /** Where the block starts in the file, in bytes. */
  public final long offset;
  /** The block's length in bytes. */
  public final long length;
  /** The host names of the workers holding the block; empty if no worker caches it. */
  public final String[] hosts;
  /** The same workers as {@code host:dataPort}, in the order of {@link #hosts}. */
  public final String[] names;

  /**
   * Creates a block; called by the native library.
   *
   * @param offset where the block starts in the file
   * @param length the block's length in bytes
   * @param hosts the host names of the workers holding it
   * @param names the same workers as {@code host:dataPort}
   */
  public NativeBlock(long offset, long length, String[] hosts, String[] names) {
    this.offset = offset;
    this.length = length;
    this.hosts = hosts;
    this.names = names;
  }
}
