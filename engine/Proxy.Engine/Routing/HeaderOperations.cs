namespace Proxy.Engine.Routing;

/// <summary>
/// Edits of a request's or a response's header fields (Istio <c>Headers.HeaderOperations</c>, Envoy
/// <c>request_headers_to_add/remove</c>): remove first, then set (replace every field of the name, or add), then add
/// (append another field). Names are compared case-insensitively and written lower-case. Values are literal.
/// </summary>
public sealed class HeaderOperations
{
    /// <exception cref="ArgumentException">A name is not an HTTP token, or a value holds CR, LF or NUL.</exception>
    public HeaderOperations(
        IReadOnlyList<KeyValuePair<string, string>>? set = null,
        IReadOnlyList<KeyValuePair<string, string>>? add = null,
        IReadOnlyList<string>? remove = null)
    {
        Set = set ?? [];
        Add = add ?? [];
        Remove = remove ?? [];
        foreach (var (name, value) in Set)
        {
            Validate(name, value);
        }

        foreach (var (name, value) in Add)
        {
            Validate(name, value);
        }

        foreach (var name in Remove)
        {
            Validate(name, "");
        }
    }

    public IReadOnlyList<KeyValuePair<string, string>> Set { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Add { get; }

    public IReadOnlyList<string> Remove { get; }

    public bool IsEmpty => Set.Count == 0 && Add.Count == 0 && Remove.Count == 0;

    /// <summary>Why a header name or value cannot be written as an HTTP/1.1 field, or null when it can.</summary>
    public static string? Problem(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name.Length == 0)
        {
            return "header name must not be empty";
        }

        foreach (var c in name)
        {
            if (!IsTokenChar(c))
            {
                return $"header name \"{name}\" is not an HTTP token (RFC 9110 5.1)";
            }
        }

        foreach (var c in value)
        {
            if (c is '\r' or '\n' or '\0')
            {
                return $"header value for \"{name}\" must not contain CR, LF or NUL";
            }
        }

        return null;
    }

    private static void Validate(string name, string value)
    {
        if (Problem(name, value) is { } problem)
        {
            throw new ArgumentException(problem);
        }
    }

    private static bool IsTokenChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
