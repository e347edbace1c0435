using Proxy.Protocols.Http1;

namespace Proxy.Hosting.Http;

/// <summary>
/// One request as <see cref="MiniHttpServer"/> hands it to its handler: strings, not spans, because the echo and admin
/// servers are test/demo code where clarity beats allocation. The server reuses one instance per connection.
/// </summary>
internal sealed class MiniHttpRequest
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    public string Method { get; private set; } = "";

    public Http1Method KnownMethod { get; private set; }

    public Http1Version Version { get; private set; }

    /// <summary>The request-target as sent, query included.</summary>
    public string Target { get; private set; } = "";

    /// <summary>The target without its query.</summary>
    public string Path
    {
        get
        {
            var query = Target.IndexOf('?', StringComparison.Ordinal);
            return query < 0 ? Target : Target[..query];
        }
    }

    /// <summary>Header fields in arrival order, names as sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>Bytes of request content after transfer decoding (counted and discarded).</summary>
    public long BodyBytes { get; internal set; }

    internal void Reset()
    {
        _headers.Clear();
        Method = "";
        Target = "";
        BodyBytes = 0;
    }

    internal void SetRequestLine(Http1Method method, string methodToken, string target, Http1Version version)
    {
        KnownMethod = method;
        Method = methodToken;
        Target = target;
        Version = version;
    }

    internal void AddHeader(string name, string value) => _headers.Add(new(name, value));
}
