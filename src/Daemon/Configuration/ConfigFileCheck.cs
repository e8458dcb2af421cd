using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace ResShift.Daemon.Configuration;

/// <summary>
/// Reads a configuration file against the settings type it binds to, before binding: invalid JSON (with its
/// line and position), keys the settings do not have (with the closest one that exists), and values of the
/// wrong type. The binder would silently ignore the first two and throw a bare exception on the third.
/// </summary>
public static class ConfigFileCheck
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>One line per problem; empty when the file can be bound to <typeparamref name="T"/>.</summary>
    /// <param name="freeSections">Top-level sections read by someone else (e.g. "Logging"), not checked.</param>
    public static IReadOnlyList<string> Problems<T>(string file, params string[] freeSections)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [$"cannot read the configuration file {file}: {e.Message}"];
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, Options);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } line ? $" at line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}" : "";
            return [$"{file}: invalid JSON{where}: {FirstSentence(e.Message)}"];
        }
        using (doc)
        {
            var problems = new List<string>();
            if (doc.RootElement.ValueKind != JsonValueKind.Object) problems.Add($"{file}: the configuration must be a JSON object");
            else CheckObject(doc.RootElement, typeof(T), "", problems, freeSections);
            return problems;
        }
    }

    private static void CheckObject(JsonElement obj, Type type, string path, List<string> problems, string[]? freeSections = null)
    {
        PropertyInfo[] settable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray();
        foreach (JsonProperty member in obj.EnumerateObject())
        {
            string at = path.Length == 0 ? member.Name : $"{path}.{member.Name}";
            if (freeSections?.Contains(member.Name, StringComparer.OrdinalIgnoreCase) == true) continue;
            PropertyInfo? property = settable.FirstOrDefault(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                string? near = Suggestion.Closest(member.Name, settable.Select(p => p.Name));
                problems.Add($"unknown key '{at}'" + (near is null
                    ? $" (known here: {string.Join(", ", settable.Select(p => p.Name))})"
                    : $"; did you mean '{(path.Length == 0 ? near : $"{path}.{near}")}'?"));
                continue;
            }
            CheckValue(member.Value, property.PropertyType, at, problems);
        }
    }

    private static void CheckValue(JsonElement value, Type type, string at, List<string> problems)
    {
        Type? nullable = Nullable.GetUnderlyingType(type);
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (nullable is null && type.IsValueType) problems.Add($"'{at}' must not be null");
            return;
        }
        type = nullable ?? type;
        if (type == typeof(string))
        {
            if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array) problems.Add($"'{at}' must be a string, not {Kind(value)}");
        }
        else if (type.IsEnum)
        {
            string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (text is null || !Enum.TryParse(type, text, ignoreCase: true, out object? parsed) || !Enum.IsDefined(type, parsed))
                problems.Add($"'{at}' must be one of {string.Join(", ", Enum.GetNames(type))} (got {value.GetRawText()})");
        }
        else if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False) && !(value.ValueKind == JsonValueKind.String && bool.TryParse(value.GetString(), out _)))
                problems.Add($"'{at}' must be true or false (got {value.GetRawText()})");
        }
        else if (IsNumber(type))
        {
            string raw = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            if (value.ValueKind is not (JsonValueKind.Number or JsonValueKind.String) || !ParsesAs(type, raw))
                problems.Add($"'{at}' must be {NumberName(type)} (got {value.GetRawText()})");
        }
        else if (ElementType(type) is { } element)
        {
            if (value.ValueKind != JsonValueKind.Array) { problems.Add($"'{at}' must be a list, not {Kind(value)}"); return; }
            int i = 0;
            foreach (JsonElement item in value.EnumerateArray()) CheckValue(item, element, $"{at}[{i++}]", problems);
        }
        else if (type.IsClass)
        {
            if (value.ValueKind != JsonValueKind.Object) problems.Add($"'{at}' must be an object, not {Kind(value)}");
            else CheckObject(value, type, at, problems);
        }
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;

    private static bool IsNumber(Type t) => t == typeof(int) || t == typeof(long) || t == typeof(ulong) || t == typeof(uint) || t == typeof(double) || t == typeof(float);

    private static bool ParsesAs(Type t, string raw)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (t == typeof(int)) return int.TryParse(raw, inv, out _);
        if (t == typeof(long)) return long.TryParse(raw, inv, out _);
        if (t == typeof(uint)) return uint.TryParse(raw, inv, out _);
        if (t == typeof(ulong)) return ulong.TryParse(raw, inv, out _);
        return double.TryParse(raw, System.Globalization.NumberStyles.Float, inv, out _);
    }

    private static string NumberName(Type t) =>
        t == typeof(double) || t == typeof(float) ? "a number" : t == typeof(ulong) || t == typeof(uint) ? "a whole number >= 0" : "a whole number";

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => e.GetRawText(),
    };

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
