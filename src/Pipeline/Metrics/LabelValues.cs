namespace ResShift.Pipeline.Metrics;

/// <summary>Up to four label values, in the family's label order: a cache key that costs no allocation to build or compare.</summary>
internal readonly struct LabelValues(int count, string a = "", string b = "", string c = "", string d = "") : IEquatable<LabelValues>
{
    public const int Max = 4;

    private readonly string _a = a, _b = b, _c = c, _d = d;

    public int Count { get; } = count;

    public string this[int i] => i switch { 0 => _a, 1 => _b, 2 => _c, _ => _d };

    public LabelValues With(int i, string value) => i switch
    {
        0 => new(Count, value, _b, _c, _d),
        1 => new(Count, _a, value, _c, _d),
        2 => new(Count, _a, _b, value, _d),
        _ => new(Count, _a, _b, _c, value),
    };

    public string[] ToArray()
    {
        var values = new string[Count];
        for (int i = 0; i < Count; i++) values[i] = this[i];
        return values;
    }

    public bool Equals(LabelValues other) =>
        Count == other.Count && string.Equals(_a, other._a, StringComparison.Ordinal) && string.Equals(_b, other._b, StringComparison.Ordinal)
        && string.Equals(_c, other._c, StringComparison.Ordinal) && string.Equals(_d, other._d, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is LabelValues v && Equals(v);

    public override int GetHashCode() => HashCode.Combine(Count, _a, _b, _c, _d);
}
