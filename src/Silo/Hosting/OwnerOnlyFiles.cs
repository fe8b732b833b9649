namespace OrleansShare.Silo.Hosting;

/// <summary>
/// The embedded data folder holds the whole database and the generated secrets, so on Unix only its owner may read
/// it: the folder is created with mode 0700 and every file in it with 0600. SQLite gives the <c>-wal</c> and
/// <c>-shm</c> files it creates the mode of the database file, so creating that file first covers them too.
/// Windows keeps the access rules the folder inherits.
/// </summary>
public static class OwnerOnlyFiles
{
    /// <summary>0700: the owner may list, enter and change the folder; nobody else may do anything.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>0600: the owner may read and write the file; nobody else may do anything.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode OthersMask =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder (with any missing parents) as 0700; a folder that exists keeps its mode.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, FolderMode);
    }

    /// <summary>Options that create a new file as 0600 and write it.</summary>
    public static FileStreamOptions NewFile()
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>
    /// The SQLite database file and its companions: the file is created empty as 0600 when missing (SQLite takes an
    /// empty file for a new database); an existing file or companion that others may read (one made by an earlier
    /// version) loses its group and other permissions.
    /// </summary>
    public static void PrepareSqliteFile(string databaseFile)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var options = new FileStreamOptions { Mode = System.IO.FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = FileMode };
        using (new FileStream(databaseFile, options))
        {
        }

        foreach (var path in new[] { databaseFile, databaseFile + "-wal", databaseFile + "-shm", databaseFile + "-journal" })
        {
            if (File.Exists(path) && (File.GetUnixFileMode(path) & OthersMask) != 0)
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~OthersMask);
            }
        }
    }
}
