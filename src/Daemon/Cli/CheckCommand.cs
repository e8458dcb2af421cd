using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Cli;

/// <summary>
/// <c>resshift check IN OUT --model ID</c>: the fidelity guard's figures for a pair made elsewhere (another
/// runtime, the reference code), computed exactly as the pipeline computes them for its own outputs.
/// </summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "The low-quality input image" };
        var output = new Argument<string>("output") { Description = "Its restored output (the input's size × the model's scale)" };
        var model = new Option<string>("--model") { Description = "Model id (gives the scale)", DefaultValueFactory = _ => "tiny-x4" };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON" };
        var fidelity = new FidelityOptions();
        var dir = CommonOptions.ModelsDir();
        var c = new Command("check", "Measure how consistent an output is with its input (PSNR and SSIM after degrading it back)") { input, output, model, json, dir };
        fidelity.AddTo(c);

        c.SetAction((parse, ct) =>
        {
            ModelManifest m = ModelRegistry.Discover(parse.GetValue(dir)).Get(parse.GetValue(model)!);
            FidelityThreshold threshold = fidelity.Threshold(parse);
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(output)!;
            var decoder = new ImageDecoder();
            using DecodedImage lq = decoder.Decode(inPath);
            using DecodedImage hq = decoder.Decode(outPath);
            if (hq.Width != lq.Width * m.Scale || hq.Height != lq.Height * m.Scale)
                throw new ArgumentException($"{outPath} is {hq.Width}×{hq.Height}; model {m.Id} (×{m.Scale}) turns {lq.Width}×{lq.Height} into {lq.Width * m.Scale}×{lq.Height * m.Scale}");

            var o = parse.InvocationConfiguration.Output;
            FidelityReport report;
            using (var reference = FidelityReference.Capture(lq.Pixels.Rgb, lq.Width, lq.Height, m.Scale, SampleRange.Unit))
            {
                try
                {
                    report = ConsistencyMeter.Measure(reference, hq.Pixels.Rgb, hq.Width, hq.Height, SampleRange.Unit);
                }
                catch (OutputRejectedException e)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"resshift: {outPath}: {e.Message}");
                    return Task.FromResult(ExitCodes.SomeFailed);
                }
            }
            string? shortfall = threshold.Shortfall(report);
            if (parse.GetValue(json))
            {
                var doc = new Dictionary<string, object?>
                {
                    ["input"] = inPath, ["output"] = outPath, ["model"] = m.Id, ["scale"] = m.Scale,
                    ["fidelity"] = new Dictionary<string, object> { ["psnr_db"] = Math.Round(report.PsnrDb, 4), ["ssim"] = Math.Round(report.Ssim, 6), ["method"] = report.Method },
                    ["below_threshold"] = shortfall,
                };
                o.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"psnr_db {report.PsnrDb:F2}  ssim {report.Ssim:F4}  method {report.Method}  ({Path.GetFileName(outPath)} vs {Path.GetFileName(inPath)}, model {m.Id})"));
                if (shortfall is not null) parse.InvocationConfiguration.Error.WriteLine($"warning: {outPath}: {shortfall}");
            }
            return Task.FromResult(shortfall is null ? ExitCodes.Success : ExitCodes.BelowFidelityThreshold);
        });
        return c;
    }
}
