package alluxio.jni;

/**
 * One file's or directory's status as the Alluxio master reports it. Immutable.
 *
 * <p>Built by the native library, which calls the constructor with exactly this parameter list:
 * keep the two in step.
 */
public final class NativeStatus {
  /** The Alluxio path, absolute (e.g. {@code /dir/file}). */
  public final String path;
  /** The last component of {@link #path}; empty for the root. */
  public final String name;
  /** The length in bytes; for a directory, whatever the master reports. */
  public final long length;
  /** The size of the file's blocks in bytes. */
  public final long blockSize;
  /** When the file or directory was created, in milliseconds since the epoch. */
  public final long creationTimeMs;
  /** When it was last modified, in milliseconds since the epoch. */
  public final long modificationTimeMs;
  /** The owning user. */
  public final String owner;
  /** The owning group. */
  public final String group;
  /** The POSIX permission bits, e.g. {@code 0644}. */
  public final int mode;
  /** Whether this is a directory. */
  public final boolean directory;
  /** Whether the file is complete (its writer has closed it); true for directories. */
  public final boolean completed;
  /** The percentage of the file's bytes cached in the workers' memory tier. */
  public final int inMemoryPercentage;
  /** The percentage of the file's bytes cached in any tier of the workers. */
  public final int inAlluxioPercentage;
  /** Whether the file or directory is persisted to the under file system. */
  public final boolean persisted;

  /**
   * Creates a status; called by the native library.
   *
   * @param path the Alluxio path
   * @param name the last path component
   * @param length the length in bytes
   * @param blockSize the block size in bytes
   * @param creationTimeMs the creation time in milliseconds since the epoch
   * @param modificationTimeMs the modification time in milliseconds since the epoch
   * @param owner the owning user
   * @param group the owning group
   * @param mode the POSIX permission bits
   * @param directory whether this is a directory
   * @param completed whether the file is complete
   * @param inMemoryPercentage the percentage cached in memory
   * @param inAlluxioPercentage the percentage cached in Alluxio
   * @param persisted whether it is persisted to the under file system
   */
  public NativeStatus(String path, String name, long length, long blockSize, long creationTimeMs,
      long modificationTimeMs, String owner, String group, int mode, boolean directory,
      boolean completed, int inMemoryPercentage, int inAlluxioPercentage, boolean persisted) {
    this.path = path;
    this.name = name;
    this.length = length;
    this.blockSize = blockSize;
    this.creationTimeMs = creationTimeMs;
    this.modificationTimeMs = modificationTimeMs;
    this.owner = owner;
    this.group = group;
    this.mode = mode;
    this.directory = directory;
    this.completed = completed;
    this.inMemoryPercentage = inMemoryPercentage;
    this.inAlluxioPercentage = inAlluxioPercentage;
    this.persisted = persisted;
  }
}
