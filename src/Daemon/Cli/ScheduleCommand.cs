using System.CommandLine;
using System.Text.Json;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Cli;

/// <summary><c>resshift schedule --model ID [--json]</c>: the model's schedule constants in float64.</summary>
public static class ScheduleCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model id", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON (the default prints a table)" };
        var modelsDir = CommonOptions.ModelsDir();
        var command = new Command("schedule", "Print a model's diffusion schedule constants") { model, json, modelsDir };
        command.SetAction(parse =>
        {
            ModelManifest manifest = ModelRegistry.Discover(parse.GetValue(modelsDir)).Get(parse.GetValue(model)!);
            var schedule = new DiffusionSchedule(manifest.ScheduleParameters);
            if (parse.GetValue(json))
                parse.InvocationConfiguration.Output.WriteLine(ToJson(schedule));
            else
                WriteTable(manifest.Id, schedule, parse.InvocationConfiguration.Output);
            return ExitCodes.Success;
        });
        return command;
    }

    public static string ToJson(DiffusionSchedule s)
    {
        var doc = new Dictionary<string, object>
        {
            ["T"] = s.T,
            ["kappa"] = s.Kappa,
            ["sqrt_eta"] = s.SqrtEta,
            ["eta"] = s.Eta,
            ["c1"] = s.C1,
            ["c2"] = s.C2,
            ["sigma"] = s.Sigma,
            ["input_std"] = s.InputStd,
            ["prior_std"] = s.PriorStd,
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    private static void WriteTable(string id, DiffusionSchedule s, TextWriter o)
    {
        o.WriteLine($"model {id}: T={s.T} kappa={s.Kappa} prior_std={s.PriorStd:R}");
        o.WriteLine($"{"t",3} {"sqrt_eta",22} {"c1",22} {"c2",22} {"sigma",22} {"input_std",22}");
        for (int t = 0; t < s.T; t++)
            o.WriteLine($"{t,3} {s.SqrtEta[t],22:R} {s.C1[t],22:R} {s.C2[t],22:R} {s.Sigma[t],22:R} {s.InputStd[t],22:R}");
    }
}
