package weatherpipeline.localfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system (file:), setting permissions in the JVM instead of in a child process.
 *
 * <p>Without Hadoop's native library (pip's PySpark ships none), {@link RawLocalFileSystem#setPermission} runs a
 * {@code chmod} process, and Hadoop calls it for every file it creates: a local Spark run writing thousands of
 * partition files starts thousands of processes. This subclass sets the same permission bits (owner, group,
 * others: read, write, execute) with {@link Files#setPosixFilePermissions}. Everything else is Hadoop's local file
 * system as is, checksums included. For local runs only (tests, benchmarks, the local run): S3 is not concerned.
 */
public class InProcessPermissionsFileSystem extends LocalFileSystem {
  public InProcessPermissionsFileSystem() {
    super(new Raw());
  }

  /** The raw local file system with an in-process {@code setPermission}. */
  public static class Raw extends RawLocalFileSystem {
    @Override
    public void setPermission(Path path, FsPermission permission) throws IOException {
      Set<PosixFilePermission> bits = EnumSet.noneOf(PosixFilePermission.class);
      add(bits, permission.getUserAction(),
          PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
      add(bits, permission.getGroupAction(),
          PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE);
      add(bits, permission.getOtherAction(),
          PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
      Files.setPosixFilePermissions(pathToFile(path).toPath(), bits);
    }

    private static void add(Set<PosixFilePermission> bits, FsAction action,
        PosixFilePermission read, PosixFilePermission write, PosixFilePermission execute) {
      if (action.implies(FsAction.READ)) {
        bits.add(read);
      }
      if (action.implies(FsAction.WRITE)) {
        bits.add(write);
      }
      if (action.implies(FsAction.EXECUTE)) {
        bits.add(execute);
      }
    }
  }
}
