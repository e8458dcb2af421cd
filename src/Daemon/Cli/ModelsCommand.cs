using System.CommandLine;
using System.Globalization;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Cli;

/// <summary><c>resshift models list|show ID|verify ID</c>: the model registry, file hashes and licences.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "The model registry: manifests, file hashes, licences");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command List()
    {
        var dir = CommonOptions.ModelsDir();
        var c = new Command("list", "List the models found in the models folder") { dir };
        c.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var registry = ModelRegistry.Discover(parse.GetValue(dir));
            o.WriteLine($"{"id",-26} {"task",-8} {"input",-12} {"scale",5} {"steps",5} {"tile",5} {"onnx",-8} licence");
            foreach (ModelManifest m in registry.Models.OrderBy(m => m.Id, StringComparer.Ordinal))
                o.WriteLine(m.IsBird
                    ? $"{m.Id,-26} {m.Task,-8} {"image",-12} {"×1",5} {m.Steps,5} {m.Bird!.Image,5} {Presence(m),-8} {LicenceLine(m)}"
                    : $"{m.Id,-26} {m.Task,-8} {InputLine(m),-12} {"×" + m.Scale,5} {m.Steps,5} {m.Tile.Lq,5} {Presence(m),-8} {LicenceLine(m)}{(m.IsDemo ? " [demo: random weights]" : "")}");
            o.WriteLine($"({registry.Models.Count} models in {registry.Root}; 'resshift models show ID' says how to get a missing one)");
            ModelManifest? best = registry.DefaultModel();
            o.WriteLine(best is null
                ? "restore's default: none present (get one with 'make models MODEL=resshift-realsr-x4-v3')"
                : $"restore's default: {best.Id}");
            return ExitCodes.Success;
        });
        return c;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Model id" };
        var dir = CommonOptions.ModelsDir();
        var c = new Command("show", "Show one model's manifest and check its file hashes") { id, dir };
        c.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            ModelManifest m = ModelRegistry.Discover(parse.GetValue(dir)).Get(parse.GetValue(id)!);
            o.WriteLine($"id        {m.Id}");
            o.WriteLine($"name      {m.Name}");
            if (m.IsBird)
            {
                o.WriteLine($"task      bird (inversion of an ε-prediction UNet), image {m.Bird!.Image}×{m.Bird.Image} only");
                o.WriteLine($"schedule  {m.Bird.Betas} betas {m.Bird.BetaStart}..{m.Bird.BetaEnd}, T={m.Bird.T}, DDIM stride {m.Bird.DeltaT}");
            }
            else
            {
                o.WriteLine($"task      {m.Task}, scale ×{m.Scale}, latent f{m.Latent.Factor} × {m.Latent.Channels} channels, {m.Steps} steps");
                o.WriteLine($"input     {InputLine(m)}{(m.Input?.Accepts is { } a ? ": " + a : "")}");
                o.WriteLine($"padding   LQ reflect-padded to a multiple of {m.LqPadMultiple}");
                o.WriteLine($"schedule  T={m.Schedule.T} kappa={m.Schedule.Kappa} min_noise_level={m.Schedule.MinNoiseLevel} etas_end={m.Schedule.EtasEnd} power={m.Schedule.Power}" +
                    (m.Schedule.Timesteps is { } ts ? $"; runs t = {string.Join(", ", ts)} only, decoding the last x0" : ""));
                o.WriteLine($"tile      {m.Tile.Lq}×{m.Tile.Lq} LQ → {m.Geometry.ImageTile}×{m.Geometry.ImageTile} output");
            }
            o.WriteLine($"licence   {LicenceLine(m)}{(m.Licence.Url is null ? "" : " — " + m.Licence.Url)}");
            if (m.Parameters is not null)
                o.WriteLine("params    " + string.Join(", ", m.Parameters.Select(p => $"{p.Key} {p.Value / 1e6:F2} M")));
            foreach (ModelSource s in m.Sources)
                o.WriteLine($"source    {s.Role}: {s.Url} (sha256 {s.Sha256 ?? "not recorded yet"})");
            if (!m.HasGraphs)
            {
                o.WriteLine($"onnx      not present: {m.HowToGet}");
                return ExitCodes.Success;
            }
            bool ok = true;
            foreach (ModelFileCheck f in ModelFileCheck.All(m))
            {
                ok &= f.Matches;
                string state = !f.Exists ? "MISSING" : f.Matches ? "ok" : $"HASH MISMATCH (manifest {f.ExpectedSha256})";
                o.WriteLine($"file      {f.Role,-9} {Path.GetRelativePath(m.Directory, f.Path),-16} {f.Bytes,12:N0} B  sha256 {f.ActualSha256}  {state}");
            }
            return ok ? ExitCodes.Success : ExitCodes.SomeFailed;
        });
        return c;
    }

    private static Command Verify()
    {
        var id = new Argument<string>("id") { Description = "Model id" };
        var dir = CommonOptions.ModelsDir();
        var c = new Command("verify", "Check file hashes and run the export's verification bundle through ONNX Runtime") { id, dir };
        c.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            ModelManifest m = ModelRegistry.Discover(parse.GetValue(dir)).Get(parse.GetValue(id)!);
            ModelFileCheck.EnsureIntact(m);
            o.WriteLine($"{m.Id}: file hashes ok ({m.Files.Count} files); licence {LicenceLine(m)}");
            o.WriteLine($"runtime: {ResShift.Engines.OnnxRuntime.OrtRuntime.Describe()}");
            bool ok = true;
            foreach (GraphVerification g in m.IsBird
                         ? [ResShift.Pipeline.Bird.BirdVerification.Run(m, batch => Backends.EngineSetFactory.CreateGraph(m, ResShift.Pipeline.Bird.BirdUNet.Graph,
                             ResShift.Pipeline.Bird.BirdUNet.Signature(m), EngineKind.Cpu, batch))]
                         : VerificationBundle.Run(m))
            {
                ok &= g.Passed;
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{g.Graph,-9} {(g.Passed ? "PASS" : "FAIL")}  cases {g.Cases}  elements {g.Elements}  max abs error {g.MaxAbsError:E3}  (tolerance {g.Atol:G3} + {g.Rtol:G3}·|ref|, {g.Violations} outside)"));
            }
            return ok ? ExitCodes.Success : ExitCodes.SomeFailed;
        });
        return c;
    }

    private static string InputLine(ModelManifest m) =>
        m.Input switch
        {
            { Mask: true } => "image+mask",
            { ExactSize: int s } => $"{s}×{s} crop",
            _ => "image",
        };

    private static string Presence(ModelManifest m) => m.GraphsPresent ? "present" : m.HasGraphs ? "missing" : "absent";

    private static string LicenceLine(ModelManifest m) =>
        $"{m.Licence.Name ?? m.Licence.Id}{(m.Licence.CommercialUse ? "" : " (non-commercial use only)")}";
}
