using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Http;

/// <summary>
/// A parsed request head as routers see it. The engine keeps one per downstream connection and refills it for each
/// request, so spans handed out are valid only until the next request on that connection (for a router: during
/// <see cref="Routing.IHttpRouter.Route"/>). Field names and values keep the case they were sent with; compare names
/// and hosts case-insensitively.
/// </summary>
public sealed class HttpRequestHead
{
    private const int InitialBufferSize = 1024;
    private const int InitialFieldCount = 16;

    private byte[] _buffer = new byte[InitialBufferSize];
    private int _used;
    private HeaderField[] _fields = new HeaderField[InitialFieldCount];
    private int _fieldCount;

    private Segment _methodToken;
    private Segment _target;
    private Segment _path;
    private Segment _query;
    private Segment _authority;
    private Segment _host;
    private int _hostFieldCount;

    internal HttpRequestHead()
    {
    }

    /// <summary>Builds a head from parts, for custom routers' tests and tools. The data path fills heads itself.</summary>
    public static HttpRequestHead Create(string method, string target, params ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(target);
        var head = new HttpRequestHead();
        var methodBytes = Encoding.ASCII.GetBytes(method);
        head.SetRequestLine(KnownHeaders.RecognizeMethod(methodBytes), methodBytes, Encoding.ASCII.GetBytes(target), Http1Version.Http11);
        foreach (var (name, value) in headers)
        {
            var nameBytes = Encoding.ASCII.GetBytes(name);
            head.AddHeader(KnownHeaders.Recognize(nameBytes), nameBytes, Encoding.ASCII.GetBytes(value));
        }

        head.Complete();
        return head;
    }

    public Http1Method Method { get; private set; }

    public Http1Version Version { get; private set; }

    /// <summary>The method token as sent (e.g. <c>GET</c>, or a custom method).</summary>
    public ReadOnlySpan<byte> MethodToken => Slice(_methodToken);

    /// <summary>
    /// The request-target exactly as sent, before path normalisation: for logs and diagnostics. Route on
    /// <see cref="Path"/> and <see cref="Query"/>; the upstream receives the normalised path.
    /// </summary>
    public ReadOnlySpan<byte> Target => Slice(_target);

    /// <summary>
    /// The path of the target, without the query (for absolute-form targets, without scheme and authority), normalised
    /// as an Istio gateway's Envoy does before routing (see <see cref="PathNormalizer"/>): dot segments removed,
    /// backslashes made slashes, escaped unreserved characters decoded. This is what routes match and what is
    /// forwarded. <c>*</c> and CONNECT's empty path are left alone.
    /// </summary>
    public ReadOnlySpan<byte> Path => Slice(_path);

    /// <summary>The query string after '?', without the '?'; empty when absent.</summary>
    public ReadOnlySpan<byte> Query => Slice(_query);

    /// <summary>The authority: the absolute-form target's authority, else the Host field, port included.</summary>
    public ReadOnlySpan<byte> Authority => Slice(_authority);

    /// <summary>The authority without its port (IPv6 literals keep their brackets); what hosts are matched against.</summary>
    public ReadOnlySpan<byte> Host => Slice(_host);

    /// <summary><c>http</c> or <c>https</c>: the scheme the downstream connection speaks.</summary>
    public string Scheme { get; internal set; } = "http";

    /// <summary>The local port the request arrived on (Istio's match.port).</summary>
    public int LocalPort { get; internal set; }

    public int HeaderCount => _fieldCount;

    internal int HostFieldCount => _hostFieldCount;

    /// <summary>An absolute-form target without a path (<c>http://host</c>); <see cref="Path"/> then reads "/".</summary>
    internal bool HasEmptyAbsolutePath { get; private set; }

    /// <summary>Normalisation changed the path: <see cref="Path"/> differs from the path in <see cref="Target"/>.</summary>
    internal bool PathNormalized { get; private set; }

    public ReadOnlySpan<byte> GetHeaderName(int index) => Slice(Field(index).Name);

    public ReadOnlySpan<byte> GetHeaderValue(int index) => Slice(Field(index).Value);

    internal KnownHeader GetKnownHeader(int index) => Field(index).Known;

    /// <summary>Finds the first field with this name (ASCII case-insensitive).</summary>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var fields = _fields;
        for (var i = 0; i < _fieldCount && (uint)i < (uint)fields.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(Slice(fields[i].Name), name))
            {
                value = Slice(fields[i].Value);
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Finds the first field with this name (ASCII case-insensitive), without transcoding the name.</summary>
    public bool TryGetHeader(ReadOnlySpan<char> name, out ReadOnlySpan<byte> value)
    {
        var fields = _fields;
        for (var i = 0; i < _fieldCount && (uint)i < (uint)fields.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(Slice(fields[i].Name), name))
            {
                value = Slice(fields[i].Value);
                return true;
            }
        }

        value = default;
        return false;
    }

    internal void Reset()
    {
        _used = 0;
        _fieldCount = 0;
        _hostFieldCount = 0;
        _methodToken = _target = _path = _query = _authority = _host = default;
        HasEmptyAbsolutePath = false;
        PathNormalized = false;
        Method = Http1Method.Custom;
        Version = Http1Version.Http11;
    }

    internal void SetRequestLine(Http1Method method, ReadOnlySpan<byte> methodToken, ReadOnlySpan<byte> target, Http1Version version)
    {
        Method = method;
        Version = version;
        _methodToken = Append(methodToken);
        _target = Append(target);
    }

    internal void AddHeader(KnownHeader known, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_fieldCount == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        var field = new HeaderField(Append(name), Append(value), known);
        _fields[_fieldCount++] = field;
        if (known == KnownHeader.Host)
        {
            _hostFieldCount++;
            if (_hostFieldCount == 1 && _authority.Length == 0)
            {
                _authority = field.Value;
            }
        }
    }

    /// <summary>
    /// Derives path, query, authority and host once all fields are in, and normalises the path.
    /// </summary>
    /// <exception cref="Http1ParseException">400: the path is one Envoy's normalisation rejects.</exception>
    internal void Complete()
    {
        var target = Slice(_target);
        var pathStart = 0;
        if (target.Length > 0 && target[0] != (byte)'/' && target[0] != (byte)'*')
        {
            // absolute-form (RFC 9112 3.2.2): scheme "://" authority path-abempty; its authority wins over Host.
            var schemeEnd = target.IndexOf("://"u8);
            if (schemeEnd > 0)
            {
                var authorityStart = schemeEnd + 3;
                var rest = target[authorityStart..];
                var authorityLength = rest.IndexOfAny((byte)'/', (byte)'?');
                if (authorityLength < 0)
                {
                    authorityLength = rest.Length;
                }

                _authority = new Segment(_target.Start + authorityStart, authorityLength);
                pathStart = authorityStart + authorityLength;
            }
            else if (Method == Http1Method.Connect)
            {
                // authority-form: the whole target is the authority.
                _authority = _target;
                pathStart = target.Length;
            }
        }

        var pathAndQuery = target[pathStart..];
        var queryIndex = pathAndQuery.IndexOf((byte)'?');
        if (queryIndex >= 0)
        {
            _path = new Segment(_target.Start + pathStart, queryIndex);
            _query = new Segment(_target.Start + pathStart + queryIndex + 1, pathAndQuery.Length - queryIndex - 1);
        }
        else
        {
            _path = new Segment(_target.Start + pathStart, pathAndQuery.Length);
            _query = default;
        }

        if (_path.Length == 0 && pathStart > 0 && Method != Http1Method.Connect)
        {
            // RFC 9112 3.2.1: an empty path is "/" for routing and forwarding (OPTIONS forwards "*", 3.2.4).
            HasEmptyAbsolutePath = true;
            _path = Append("/"u8);
        }

        NormalizePath();

        _host = _authority;
        var authority = Slice(_authority);
        if (authority.Length > 0)
        {
            // Strip ":port"; an IPv6 literal's colons live inside brackets.
            var colon = authority.LastIndexOf((byte)':');
            var bracket = authority.LastIndexOf((byte)']');
            if (colon > bracket)
            {
                _host = new Segment(_authority.Start, colon);
            }
        }
    }

    /// <summary>
    /// Envoy's normalize_path (Istio's default pathNormalization BASE) on an origin-form or absolute-form path: a path
    /// already normal costs one scan; otherwise the normal form is written after everything else in the buffer, which
    /// grows only until it fits the connection's largest request. Paths not starting with '/' ("*", CONNECT's empty
    /// path, a target that is neither form) are left as sent: Envoy normalises only paths that start with '/'
    /// (it answers 404 to the others before normalising).
    /// </summary>
    private void NormalizePath()
    {
        if (!Slice(_path).StartsWith("/"u8) || PathNormalizer.IsNormal(Slice(_path)))
        {
            return;
        }

        var capacity = PathNormalizer.MaxNormalizedLength(_path.Length);
        if (_buffer.Length - _used < capacity)
        {
            Grow(capacity);
        }

        var path = Slice(_path);
        var normalized = _buffer.AsSpan(_used, capacity);
        if (!PathNormalizer.TryNormalize(path, normalized, out var written))
        {
            ThrowPathNotNormalizable();
        }

        if (normalized[..written].SequenceEqual(path))
        {
            return;
        }

        _path = new Segment(_used, written);
        _used += written;
        PathNormalized = true;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowPathNotNormalizable()
        => throw new Http1ParseException(Http1ParseError.InvalidRequestTarget, 400, "The request path cannot be normalized");

    private Segment Append(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _used < bytes.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(_used));
        var segment = new Segment(_used, bytes.Length);
        _used += bytes.Length;
        return segment;
    }

    private void Grow(int needed)
    {
        var size = Math.Max(_buffer.Length * 2, _used + needed);
        Array.Resize(ref _buffer, size);
    }

    private ReadOnlySpan<byte> Slice(Segment segment) => _buffer.AsSpan(segment.Start, segment.Length);

    private ref readonly HeaderField Field(int index)
    {
        if ((uint)index >= (uint)_fieldCount)
        {
            ThrowIndex();
        }

        return ref _fields[index];
    }

    private static void ThrowIndex() => throw new ArgumentOutOfRangeException("index");

    [DebuggerDisplay("{Start}+{Length}")]
    private readonly record struct Segment(int Start, int Length);

    private readonly record struct HeaderField(Segment Name, Segment Value, KnownHeader Known);
}
