namespace ResShift.Pipeline.Models;

/// <summary>
/// The models found under a models folder (one sub-folder per model with a model.json). The folder is
/// RESSHIFT_MODELS_DIR, else the nearest `engines/` above the executable (a source checkout), else
/// /usr/share/resshift/engines (an installed package).
/// </summary>
public sealed class ModelRegistry
{
    public const string EnvironmentVariable = "RESSHIFT_MODELS_DIR";
    private readonly Dictionary<string, ModelManifest> _models;

    public string Root { get; }

    public ModelRegistry(string root)
    {
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"models folder not found: {Root}");
        _models = new(StringComparer.Ordinal);
        foreach (string manifest in Directory.EnumerateFiles(Root, "model.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            ModelManifest m = ModelManifest.Load(manifest);
            if (!_models.TryAdd(m.Id, m))
                throw new InvalidDataException($"model id '{m.Id}' is declared twice: {_models[m.Id].Directory} and {m.Directory}");
        }
    }

    public IReadOnlyCollection<ModelManifest> Models => _models.Values;

    /// <summary>
    /// The real models `restore` may pick without being told, quality first: real-world SR v3 (4 steps, the
    /// measured baseline), then SinSR v1 and v2 (one step; reported scores at or above ResShift's at a quarter of
    /// the denoiser calls), then the 15-step ResShift ones, then bicubic SR. The fast one is asked for by name
    /// (--model sinsr-realsr-x4-v1). Never a demo model (random weights) and never a task whose inputs need more
    /// than an image (a mask, an aligned face crop).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultPreference =
        ["resshift-realsr-x4-v3", "sinsr-realsr-x4-v1", "sinsr-realsr-x4-v2", "resshift-realsr-x4-v2", "resshift-realsr-x4-v1",
         "resshift-bicsr-x4"];

    /// <summary>The best model of <see cref="DefaultPreference"/> whose ONNX files are present, or null.</summary>
    public ModelManifest? DefaultModel() =>
        DefaultPreference.Select(id => _models.GetValueOrDefault(id)).FirstOrDefault(m => m is not null && m.GraphsPresent);

    public ModelManifest Get(string id) =>
        _models.TryGetValue(id, out var m) ? m
            : throw new KeyNotFoundException($"unknown model '{id}' (known: {string.Join(", ", _models.Keys.Order())}; models folder {Root})");

    public static ModelRegistry Discover(string? explicitRoot = null)
    {
        string? root = explicitRoot ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(root))
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "engines");
                if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "model.json", SearchOption.AllDirectories).Any())
                {
                    root = candidate;
                    break;
                }
            }
        }
        root ??= "/usr/share/resshift/engines";
        return new ModelRegistry(root);
    }
}
