using System.Text;

namespace Proxy.Engine.Routing;

/// <summary>
/// The header operations of a destination and of its route folded, once, into what the data path does per message:
/// drop the fields named in <see cref="Dropped"/>, then write <see cref="Lines"/>. Folding runs the operations in their
/// documented order (destination remove, set, add, then route remove, set, add) over a list of lines, so a route's
/// <c>remove</c> or <c>set</c> also discards what the destination set or added. Writing it costs a name comparison per
/// field and a copy per line: nothing is allocated per request.
/// </summary>
/// <remarks>
/// Fields the engine frames itself cannot be edited: an operation on <c>content-length</c>, <c>transfer-encoding</c>,
/// <c>connection</c>, <c>keep-alive</c>, <c>proxy-connection</c>, <c>te</c>, <c>trailer</c> or <c>upgrade</c> (and,
/// on requests, <c>host</c> and <c>expect</c>) is ignored, so no edit can desynchronise a connection. Envoy rejects
/// <c>host</c> and pseudo-headers at config load (":-prefixed or host headers may not be modified"); Istio turns a
/// <c>host</c> set into an authority rewrite, which routers express as <see cref="HttpRoute.AuthorityRewrite"/>. A set
/// or add with an empty value is skipped, as Envoy does by default (<c>keep_empty_value: false</c>).
/// </remarks>
internal sealed class HeaderEdit
{
    private HeaderEdit(byte[][] dropped, HeaderLine[] lines)
    {
        Dropped = dropped;
        Lines = lines;
    }

    /// <summary>Lower-case names of fields removed or replaced (from the message and from engine-added fields).</summary>
    public byte[][] Dropped { get; }

    /// <summary>Fields to write after the message's own, in order.</summary>
    public HeaderLine[] Lines { get; }

    public bool Drops(ReadOnlySpan<byte> name)
    {
        foreach (var dropped in Dropped)
        {
            if (Ascii.EqualsIgnoreCase(name, dropped))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Folds <paramref name="first"/> then <paramref name="second"/>; null when together they change nothing.</summary>
    public static HeaderEdit? Compile(HeaderOperations? first, HeaderOperations? second, bool request)
    {
        var dropped = new List<string>();
        var lines = new List<KeyValuePair<string, string>>();
        Apply(first, request, dropped, lines);
        Apply(second, request, dropped, lines);
        if (dropped.Count == 0 && lines.Count == 0)
        {
            return null;
        }

        var droppedBytes = new byte[dropped.Count][];
        for (var i = 0; i < droppedBytes.Length; i++)
        {
            droppedBytes[i] = Encoding.ASCII.GetBytes(dropped[i]);
        }

        var lineBytes = new HeaderLine[lines.Count];
        for (var i = 0; i < lineBytes.Length; i++)
        {
            var (name, value) = lines[i];
            lineBytes[i] = new HeaderLine(Encoding.ASCII.GetBytes(name), Encoding.UTF8.GetBytes(name + ": " + value + "\r\n"));
        }

        return new HeaderEdit(droppedBytes, lineBytes);
    }

    /// <summary>Whether the engine writes this field itself (framing, hop-by-hop, or the request's Host).</summary>
    public static bool IsProtected(string lowerName, bool request) =>
        lowerName is "content-length" or "transfer-encoding" or "connection" or "keep-alive" or "proxy-connection" or "te"
            or "trailer" or "upgrade"
        || (request && lowerName is "host" or "expect");

    private static void Apply(HeaderOperations? operations, bool request, List<string> dropped, List<KeyValuePair<string, string>> lines)
    {
        if (operations is null)
        {
            return;
        }

        foreach (var name in operations.Remove)
        {
            Drop(name.ToLowerInvariant(), request, dropped, lines);
        }

        foreach (var (name, value) in operations.Set)
        {
            var lower = name.ToLowerInvariant();
            if (value.Length > 0 && Drop(lower, request, dropped, lines))
            {
                lines.Add(new(lower, value));
            }
        }

        foreach (var (name, value) in operations.Add)
        {
            var lower = name.ToLowerInvariant();
            if (value.Length > 0 && !IsProtected(lower, request))
            {
                lines.Add(new(lower, value));
            }
        }
    }

    /// <summary>Drops every field and earlier line of the name; false when the name is protected.</summary>
    private static bool Drop(string lower, bool request, List<string> dropped, List<KeyValuePair<string, string>> lines)
    {
        if (IsProtected(lower, request))
        {
            return false;
        }

        if (!dropped.Contains(lower))
        {
            dropped.Add(lower);
        }

        lines.RemoveAll(l => l.Key == lower);
        return true;
    }
}

/// <summary>One field to write: its lower-case name (to compare) and the whole <c>name: value\r\n</c> line.</summary>
internal readonly record struct HeaderLine(byte[] Name, byte[] Line);
