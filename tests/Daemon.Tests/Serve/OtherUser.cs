using System.Diagnostics;
using System.Runtime.InteropServices;
using ResShift.Daemon.Tests.Restore;

namespace ResShift.Daemon.Tests.Serve;

/// <summary>
/// Runs the daemon as another user (nobody), for tests where permissions must bind although the suite runs as root.
/// That user cannot enter a checkout under a folder only root may enter (<c>mktemp -d</c> makes 0700 folders; so
/// is /root), so the daemon (its whole build output), the ONNX Runtime library and the tiny models are copied
/// once per test run to a folder under /tmp whose every parent that user can enter. Where that cannot work (no
/// setpriv, no nobody, a .NET runtime that user cannot reach) the test is skipped with the reason.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class OtherUser
{
    public const int Nobody = 65534;
    private static readonly Lazy<StagedDaemon> Stage = new(StageOnce, LazyThreadSafetyMode.ExecutionAndPublication);

    private const UnixFileMode Mode0755 = (UnixFileMode)0b111_101_101;

    public static bool IsRoot() => File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");

    /// <summary>The staged daemon, or a skip (with the reason) where another user cannot run it on this machine.</summary>
    public static StagedDaemon Daemon()
    {
        Skip.IfNot(File.Exists("/usr/bin/setpriv") || File.Exists("/bin/setpriv"), "setpriv (util-linux) is not installed: cannot run the daemon as another user");
        Skip.IfNot(File.ReadLines("/etc/passwd").Any(l => l.Split(':') is [_, _, "65534", ..]), "no user 65534 (nobody) on this machine");
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string? closed = FirstClosedAncestor(runtime);
        Skip.If(closed is not null, $"the .NET runtime ({runtime}) is under {closed}, which user nobody cannot enter: cannot run the daemon as another user");
        return Stage.Value;
    }

    /// <summary>The first folder from / down to <paramref name="path"/> that others cannot enter (no o+x), or null.</summary>
    public static string? FirstClosedAncestor(string path)
    {
        var chain = new List<string>();
        for (string? d = Path.GetFullPath(path); d is not null; d = Path.GetDirectoryName(d)) chain.Add(d);
        chain.Reverse();
        foreach (string d in chain)
            if (Directory.Exists(d) && (File.GetUnixFileMode(d) & UnixFileMode.OtherExecute) == 0) return d;
        return null;
    }

    private static StagedDaemon StageOnce()
    {
        // /tmp rather than Path.GetTempPath(): $TMPDIR may be a private folder. One folder per test run.
        string root = Path.Combine("/tmp", $"resshift-tests-other-user-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, Mode0755);
        string? closed = FirstClosedAncestor(root);
        if (closed is not null) throw new InvalidOperationException($"{closed} cannot be entered by others; cannot stage the daemon for user nobody");

        string exe = DaemonProcess.Executable(), bin = Path.GetDirectoryName(exe)!;
        string daemon = Path.Combine(root, "daemon");
        Copy(bin, daemon);
        // The ONNX Runtime library where the daemon looks for it (.tools/ above its folder), when the build uses one.
        string tools = Path.Combine(Repo.Root(), ".tools", "onnxruntime");
        if (Directory.Exists(tools)) Copy(tools, Path.Combine(root, ".tools", "onnxruntime"));
        // The models these tests run (tiny, a few hundred KB each).
        string models = Path.Combine(root, "engines");
        foreach (string model in new[] { "tiny-x4" }) Copy(Path.Combine(Repo.Engines, model), Path.Combine(models, model));
        Run("chmod", "-R", "a+rX", root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return new StagedDaemon(root, Path.Combine(daemon, Path.GetFileName(exe)), models);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        Run("cp", "-a", from, to);
    }

    public static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000) && p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {err}");
    }
}

/// <summary>The daemon as this user may run it: <see cref="Executable"/> under <see cref="Prefix"/>, models in <see cref="ModelsDir"/>.</summary>
internal sealed record StagedDaemon(string Root, string Executable, string ModelsDir)
{
    public string[] Prefix => ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

    /// <summary>A fresh folder (0755) that the other user can reach; the caller sets what it may write.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public string TempDir()
    {
        string d = Path.Combine(Root, "work", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        return d;
    }
}
