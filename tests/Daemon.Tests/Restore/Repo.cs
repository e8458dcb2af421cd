namespace ResShift.Daemon.Tests.Restore;

internal static class Repo
{
    public static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ResShift.Pipeline.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root");
    }

    public static string Engines => Path.Combine(Root(), "engines");
    public static string Parity(string file) => Path.Combine(Engines, "tiny-x4", "parity", file);
    public static string Images(string file) => Path.Combine(Root(), "tests", "Pipeline.Tests", "Data", "images", file);

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "resshift-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
