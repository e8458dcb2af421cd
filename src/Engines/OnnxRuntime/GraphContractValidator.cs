namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// Compares a loaded graph's declared inputs/outputs with its <see cref="GraphContract"/> and reports every
/// mismatch at once, so a wrongly exported model fails at load with one readable message instead of at the
/// first Run with a shape error deep inside ORT.
/// </summary>
internal static class GraphContractValidator
{
    public static void Validate(GraphContract contract, OrtSession session, int maxBatch)
    {
        var problems = new List<string>();
        Compare("input", contract.Inputs, session.Inputs, maxBatch, problems);
        Compare("output", contract.Outputs, session.Outputs, maxBatch, problems);
        if (problems.Count == 0)
            return;

        throw new ModelContractException(
            $"The {contract.Role} graph {session.Source} does not match the engine contract:\n  - " +
            string.Join("\n  - ", problems) +
            $"\n  expected inputs [{string.Join("; ", contract.Inputs)}], outputs [{string.Join("; ", contract.Outputs)}]" +
            $"\n  graph has inputs [{string.Join("; ", session.Inputs)}], outputs [{string.Join("; ", session.Outputs)}]");
    }

    private static void Compare(string kind, IReadOnlyList<TensorContract> expected, IReadOnlyList<OrtTensorInfo> actual, int maxBatch, List<string> problems)
    {
        var byName = actual.ToDictionary(a => a.Name, StringComparer.Ordinal);
        foreach (var want in expected)
        {
            if (!byName.TryGetValue(want.Name, out var have))
            {
                problems.Add($"missing {kind} '{want.Name}'");
                continue;
            }
            if (!have.IsTensor)
            {
                problems.Add($"{kind} '{want.Name}' is not a tensor");
                continue;
            }
            if (have.ElementType != want.ElementType)
                problems.Add($"{kind} '{want.Name}' is {have.ElementType}, expected {want.ElementType}");
            if (have.Rank != want.Dimensions.Length)
            {
                problems.Add($"{kind} '{want.Name}' has rank {have.Rank}, expected {want.Dimensions.Length}");
                continue;
            }

            var batch = have.Dimensions[0];
            if (batch >= 0 && !(batch == 1 && maxBatch == 1))
                problems.Add($"{kind} '{want.Name}' has a fixed batch dimension {batch}; it must be dynamic to run batches of 1..{maxBatch}");
            for (var d = 1; d < want.Dimensions.Length; d++)
            {
                if (have.Dimensions[d] >= 0 && have.Dimensions[d] != want.Dimensions[d])
                    problems.Add($"{kind} '{want.Name}' dimension {d} is {have.Dimensions[d]}, expected {want.Dimensions[d]}");
            }
        }

        var known = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var extra in actual.Where(a => !known.Contains(a.Name)))
            problems.Add($"unexpected {kind} '{extra.Name}'");
    }
}
