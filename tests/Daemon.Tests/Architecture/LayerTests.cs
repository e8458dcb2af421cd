using System.Reflection;
using Mono.Cecil;
using NetArchTest.Rules;

namespace ResShift.Daemon.Tests.Architecture;

/// <summary>
/// The layers the README states (Daemon → Pipeline → Engines), held by the compiled assemblies rather than by review:
/// a layer never uses the one above it, and no two namespaces of ours use each other, directly or round a loop.
/// </summary>
public sealed class LayerTests
{
    private static readonly Assembly Engines = typeof(ResShift.Engines.Abstractions.IEngineSet).Assembly;
    private static readonly Assembly Pipeline = typeof(ResShift.Pipeline.Models.ModelManifest).Assembly;
    private static readonly Assembly Daemon = typeof(ResShift.Daemon.BuildInfo).Assembly;

    [Fact]
    public void Engines_use_neither_Pipeline_nor_Daemon()
    {
        var result = Types.InAssembly(Engines).ShouldNot().HaveDependencyOnAny("ResShift.Pipeline", "ResShift.Daemon").GetResult();
        Assert.True(result.IsSuccessful, Offenders(result));
    }

    [Fact]
    public void Pipeline_does_not_use_Daemon()
    {
        var result = Types.InAssembly(Pipeline).ShouldNot().HaveDependencyOn("ResShift.Daemon").GetResult();
        Assert.True(result.IsSuccessful, Offenders(result));
    }

    [Fact]
    public void No_namespace_cycles()
    {
        var graph = NamespaceGraph.Of(Engines, Pipeline, Daemon);
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0,
            "namespaces that use each other (each group is strongly connected; its edges listed below it, each with one example):\n" +
            string.Join("\n", cycles.Select(c => "  " + string.Join(" ↔ ", c.Members) + "\n      " + c.Example)));
    }

    [Fact]
    public void The_cycle_finder_sees_a_cycle()
    {
        // The rule above would pass vacuously if the graph were empty or the search broken.
        var graph = new NamespaceGraph();
        graph.Add("A", "B", "A.X uses B.Y");
        graph.Add("B", "C", "B.Y uses C.Z");
        graph.Add("C", "A", "C.Z uses A.X");
        graph.Add("C", "D", "C.Z uses D.W");
        var cycles = graph.Cycles();
        Assert.Single(cycles);
        Assert.Equal(["A", "B", "C"], cycles[0].Members);
        Assert.True(NamespaceGraph.Of(Engines, Pipeline, Daemon).EdgeCount > 50, "the real graph has edges");
    }

    private static string Offenders(TestResult result) =>
        "types that break the layering: " + string.Join(", ", result.FailingTypeNames ?? []);
}

/// <summary>Which of our namespaces uses which, read from the IL: signatures, fields, attributes and method bodies.</summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, string>> _edges = new(StringComparer.Ordinal);

    public int EdgeCount => _edges.Sum(e => e.Value.Count);

    public void Add(string from, string to, string example)
    {
        if (from == to) return;
        if (!_edges.TryGetValue(from, out var targets)) _edges[from] = targets = new(StringComparer.Ordinal);
        targets.TryAdd(to, example);
        if (!_edges.ContainsKey(to)) _edges[to] = new(StringComparer.Ordinal);
    }

    public static NamespaceGraph Of(params Assembly[] assemblies)
    {
        var graph = new NamespaceGraph();
        foreach (var assembly in assemblies)
        {
            using var module = ModuleDefinition.ReadModule(assembly.Location);
            foreach (var type in module.GetTypes())
            {
                string from = NamespaceOf(type);
                if (!IsOurs(from)) continue;
                foreach (var used in Uses(type))
                {
                    string to = NamespaceOf(used);
                    if (IsOurs(to)) graph.Add(from, to, $"{type.FullName} uses {used.FullName}");
                }
            }
        }
        return graph;
    }

    /// <summary>Strongly connected groups of more than one namespace (Tarjan), members sorted.</summary>
    public List<Cycle> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<Cycle>();
        int next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v); onStack.Add(v);
            foreach (string w in _edges[v].Keys)
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var members = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); members.Add(x); } while (x != v);
            if (members.Count < 2) return;
            members.Sort(StringComparer.Ordinal);
            var inside = members.SelectMany(m => _edges[m].Where(e => members.Contains(e.Key)).Select(e => $"{m} → {e.Key} ({e.Value})"));
            result.Add(new Cycle(members, string.Join("\n      ", inside.Order(StringComparer.Ordinal))));
        }

        foreach (string v in _edges.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList())
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    internal sealed record Cycle(List<string> Members, string Example);

    private static bool IsOurs(string ns) => ns.StartsWith("ResShift.", StringComparison.Ordinal);

    /// <summary>
    /// A concept's P/Invoke layer (<c>X.Native</c>: handles, function tables, status → exception) is one unit with
    /// <c>X</c>: the binding exists only to serve it and throws its exceptions, so the pair is not a cycle between concepts.
    /// </summary>
    private static string NamespaceOf(TypeReference type)
    {
        while (type.IsNested && type.DeclaringType is not null) type = type.DeclaringType;
        string ns = type.Namespace ?? "";
        return ns.EndsWith(".Native", StringComparison.Ordinal) ? ns[..^".Native".Length] : ns;
    }

    private static IEnumerable<TypeReference> Uses(TypeDefinition type)
    {
        if (type.BaseType is not null) foreach (var t in Flatten(type.BaseType)) yield return t;
        foreach (var i in type.Interfaces) foreach (var t in Flatten(i.InterfaceType)) yield return t;
        foreach (var a in type.CustomAttributes) yield return a.AttributeType;
        foreach (var f in type.Fields) foreach (var t in Flatten(f.FieldType)) yield return t;
        foreach (var p in type.Properties) foreach (var t in Flatten(p.PropertyType)) yield return t;
        foreach (var e in type.Events) foreach (var t in Flatten(e.EventType)) yield return t;
        foreach (var m in type.Methods)
        {
            foreach (var t in Flatten(m.ReturnType)) yield return t;
            foreach (var p in m.Parameters) foreach (var t in Flatten(p.ParameterType)) yield return t;
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) foreach (var t in Flatten(v.VariableType)) yield return t;
            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        foreach (var u in Flatten(t)) yield return u;
                        break;
                    case MemberReference member:
                        if (member.DeclaringType is not null) foreach (var u in Flatten(member.DeclaringType)) yield return u;
                        if (member is MethodReference method)
                        {
                            foreach (var u in Flatten(method.ReturnType)) yield return u;
                            foreach (var p in method.Parameters) foreach (var u in Flatten(p.ParameterType)) yield return u;
                        }
                        else if (member is FieldReference field) foreach (var u in Flatten(field.FieldType)) yield return u;
                        break;
                }
            }
        }
    }

    // Arrays, pointers, by-refs and generic arguments count as uses of the types inside them.
    private static IEnumerable<TypeReference> Flatten(TypeReference? type)
    {
        switch (type)
        {
            case null:
                break;
            case GenericInstanceType generic:
                foreach (var t in Flatten(generic.ElementType)) yield return t;
                foreach (var a in generic.GenericArguments) foreach (var t in Flatten(a)) yield return t;
                break;
            case TypeSpecification spec:
                foreach (var t in Flatten(spec.ElementType)) yield return t;
                break;
            case GenericParameter:
                break;
            default:
                yield return type;
                break;
        }
    }
}
