using ResShift.Pipeline.Models;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Models;

/// <summary>Which model `restore` takes when not told: the first of the preference whose graphs are present.</summary>
public class DefaultModelTests
{
    /// <summary>A models folder holding the committed manifests of <paramref name="ids"/>, with graph files only for <paramref name="present"/>.</summary>
    private static ModelRegistry Folder(string[] ids, string[] present)
    {
        string root = Path.Combine(Path.GetTempPath(), "resshift-tests", Guid.NewGuid().ToString("N"));
        foreach (string id in ids)
        {
            string dir = Directory.CreateDirectory(Path.Combine(root, id)).FullName;
            string json = File.ReadAllText(Path.Combine(TestData.RepositoryRoot(), "engines", id, "model.json"));
            if (present.Contains(id))
            {
                // an exported manifest lists its graphs; empty files are enough for presence
                json = json.Replace("\"files\": {}", "\"files\": {\"encoder\": {\"path\": \"e.onnx\", \"sha256\": null}, " +
                    "\"denoiser\": {\"path\": \"d.onnx\", \"sha256\": null}, \"decoder\": {\"path\": \"c.onnx\", \"sha256\": null}}");
                foreach (string f in new[] { "e.onnx", "d.onnx", "c.onnx" }) File.WriteAllBytes(Path.Combine(dir, f), []);
            }
            File.WriteAllText(Path.Combine(dir, "model.json"), json);
        }
        return new ModelRegistry(root);
    }

    private static readonly string[] Sr =
        ["resshift-realsr-x4-v3", "resshift-realsr-x4-v1", "resshift-realsr-x4-v2", "sinsr-realsr-x4-v1", "sinsr-realsr-x4-v2"];

    [Fact]
    public void V3ComesFirstThenSinsrBeforeTheFifteenStepModels()
    {
        Assert.Equal("resshift-realsr-x4-v3", Folder(Sr, Sr).DefaultModel()!.Id);
        Assert.Equal("sinsr-realsr-x4-v1", Folder(Sr, ["resshift-realsr-x4-v1", "sinsr-realsr-x4-v1", "sinsr-realsr-x4-v2"]).DefaultModel()!.Id);
        Assert.Equal("sinsr-realsr-x4-v2", Folder(Sr, ["resshift-realsr-x4-v1", "sinsr-realsr-x4-v2"]).DefaultModel()!.Id);
        Assert.Equal("resshift-realsr-x4-v1", Folder(Sr, ["resshift-realsr-x4-v1"]).DefaultModel()!.Id);
        Assert.Null(Folder(Sr, []).DefaultModel());
    }
}
