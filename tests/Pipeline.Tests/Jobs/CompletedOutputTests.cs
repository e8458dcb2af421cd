using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;

namespace ResShift.Pipeline.Tests.Jobs;

/// <summary>
/// The one "already done" rule on real files: a sidecar written by <see cref="ProvenanceSidecar"/> (every kind), or
/// by the layouts of earlier versions, proves a finished job only for the same key and bytes; a sidecar that is a
/// FIFO, a link or too large proves nothing and is never waited on or read.
/// </summary>
public sealed class CompletedOutputTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("resshift-completed-").FullName;
    private readonly RootDirectory _root;
    private readonly string _inputSha;

    public CompletedOutputTests()
    {
        File.WriteAllBytes(Path.Combine(_base, "in.png"), Encoding.ASCII.GetBytes("input bytes"));
        File.WriteAllText(Path.Combine(_base, "out.png"), "output");
        _inputSha = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes("input bytes")));
        _root = RootDirectory.Open(_base);
    }

    public void Dispose()
    {
        _root.Dispose();
        Directory.Delete(_base, recursive: true);
    }

    private static readonly ProvenanceKey Image = new() { Model = "m", Seed = 7, NoiseScale = 0.5 };
    private static readonly ProvenanceKey Bird = new() { Model = "b", Seed = 7, Task = "deblur", Iterations = 40 };

    private bool Matches(ProvenanceKey key, string? mask = null) => CompletedOutput.Matches(new RootedFile(_root, "out.png"),
        new RootedFile(_root, "in.png", 1 << 20), mask is null ? null : new RootedFile(_root, mask, 1 << 20), key);

    private void WriteSidecar(ProvenanceKey key, string kind, string sha, string? maskSha = null) =>
        File.WriteAllBytes(Path.Combine(_base, "out.png.resshift.json"), new ProvenanceSidecar
        {
            Kind = kind, Key = key, InputName = "in.png", InputSha256 = sha, MaskSha256 = maskSha, OutputName = "out.png",
        }.ToUtf8());

    [Fact]
    public void A_sidecar_of_the_common_schema_matches_only_the_same_key_and_bytes()
    {
        WriteSidecar(Image, "image", _inputSha);
        Assert.True(Matches(Image));
        Assert.False(Matches(Image with { Seed = 8 }));
        Assert.False(Matches(Image with { NoiseScale = null }));
        Assert.False(Matches(Image with { Model = "other" }));
        Assert.True(CompletedOutput.WrittenByUs(_root, "out.png"));

        WriteSidecar(Image, "image", new string('0', 64));
        Assert.False(Matches(Image));

        File.WriteAllText(Path.Combine(_base, "mask.png"), "mask");
        string maskSha = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes("mask")));
        WriteSidecar(Bird, "bird", _inputSha, maskSha);
        Assert.True(Matches(Bird, "mask.png"));
        Assert.False(Matches(Bird)); // recorded with a mask, asked without
        Assert.False(Matches(Bird with { Iterations = 41 }, "mask.png"));
        Assert.False(Matches(Bird with { Task = "sr4" }, "mask.png"));
    }

    [Fact]
    public void Sidecars_of_earlier_versions_are_still_recognised()
    {
        // Images and videos before the common schema: no kind, fields at the top.
        File.WriteAllText(Path.Combine(_base, "out.png.resshift.json"), new JsonObject
        {
            ["input"] = new JsonObject { ["name"] = "in.png", ["sha256"] = _inputSha },
            ["model"] = new JsonObject { ["id"] = "m" }, ["seed"] = 7, ["noise_scale"] = 0.5,
            ["software"] = new JsonObject { ["name"] = "resshift" },
        }.ToJsonString());
        Assert.True(Matches(Image));
        // BIRD's first sidecars: flat, the seed as text.
        File.WriteAllText(Path.Combine(_base, "out.png.resshift.json"), new JsonObject
        {
            ["kind"] = "bird", ["input"] = "in.png", ["input_sha256"] = _inputSha, ["model"] = "b", ["task"] = "deblur",
            ["seed"] = "7", ["iterations"] = 40, ["mask_sha256"] = null,
        }.ToJsonString());
        Assert.True(Matches(Bird));
    }

    [Fact]
    public async Task A_fifo_a_link_or_a_huge_sidecar_is_no_sidecar_and_never_blocks()
    {
        WriteSidecar(Image, "image", _inputSha);
        File.Move(Path.Combine(_base, "out.png.resshift.json"), Path.Combine(_base, "real.json"));

        File.CreateSymbolicLink(Path.Combine(_base, "out.png.resshift.json"), Path.Combine(_base, "real.json"));
        Assert.False(Matches(Image));
        Assert.False(CompletedOutput.WrittenByUs(_root, "out.png"));
        File.Delete(Path.Combine(_base, "out.png.resshift.json"));

        File.CreateSymbolicLink(Path.Combine(_base, "out.png.resshift.json"), "/dev/zero");
        Assert.False(Matches(Image));
        File.Delete(Path.Combine(_base, "out.png.resshift.json"));

        using (var sparse = File.Create(Path.Combine(_base, "out.png.resshift.json"))) sparse.SetLength(ProvenanceFile.MaxBytes + 1);
        Assert.False(Matches(Image));
        File.Delete(Path.Combine(_base, "out.png.resshift.json"));

        using (var mk = Process.Start(new ProcessStartInfo("mkfifo", [Path.Combine(_base, "out.png.resshift.json")]))!)
        {
            Assert.True(mk.WaitForExit(10_000));
            Assert.Equal(0, mk.ExitCode);
        }
        // A blocking open of a FIFO with no writer never returns: the timeout is the proof that it does not block.
        Task<bool> check = Task.Run(() => Matches(Image));
        Assert.Same(check, await Task.WhenAny(check, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.False(await check);

        // And the output itself must be a regular file.
        File.Delete(Path.Combine(_base, "out.png.resshift.json"));
        File.Move(Path.Combine(_base, "real.json"), Path.Combine(_base, "out.png.resshift.json"));
        Assert.True(Matches(Image));
        File.Move(Path.Combine(_base, "out.png"), Path.Combine(_base, "elsewhere.png"));
        File.CreateSymbolicLink(Path.Combine(_base, "out.png"), Path.Combine(_base, "elsewhere.png"));
        Assert.False(Matches(Image));
    }
}
