using ResShift.Pipeline.Jobs;

namespace ResShift.Pipeline.Bird;

/// <summary>A BIRD job's side of the common provenance: its key and its files for the one "already done" rule.</summary>
public static class BirdProvenance
{
    public static ProvenanceKey Key(string model, BirdJobSettings settings) => new()
    {
        Model = model, Seed = settings.Seed, Task = settings.Task.Name(), Iterations = settings.IterationsOrDefault,
    };

    /// <summary><see cref="CompletedOutput.Matches"/> for a BIRD job's output, input and mask (all through their root handles).</summary>
    public static bool Completed(BirdJobFiles files, string model, BirdJobSettings settings) =>
        CompletedOutput.Matches(new RootedFile(files.OutputRoot, files.Output), new RootedFile(files.InputRoot, files.Input, files.MaxInputBytes),
            files.Mask is var (root, rel) ? new RootedFile(root, rel, files.MaxInputBytes) : null, Key(model, settings));
}
