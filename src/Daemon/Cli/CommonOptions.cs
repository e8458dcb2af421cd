using System.CommandLine;

namespace ResShift.Daemon.Cli;

/// <summary>Options shared by several commands.</summary>
public static class CommonOptions
{
    public static Option<string?> ModelsDir() => new("--models-dir")
    {
        Description = "Folder with model manifests (default: $RESSHIFT_MODELS_DIR, or the engines/ folder of the installation)",
    };
}
