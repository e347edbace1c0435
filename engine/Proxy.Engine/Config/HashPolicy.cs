namespace Proxy.Engine.Config;

/// <summary>What a request is hashed on for <see cref="LoadBalancingPolicy.RingHash"/> and
/// <see cref="LoadBalancingPolicy.Maglev"/> (Istio <c>consistentHash</c>'s hash key, Envoy's route hash policy).</summary>
public enum HashKeySource
{
    /// <summary>The value of the request header <see cref="HashPolicy.Name"/>.</summary>
    Header,

    /// <summary>The value of the cookie <see cref="HashPolicy.Name"/>; issued when absent if
    /// <see cref="HashPolicy.CookieTtl"/> is set.</summary>
    Cookie,

    /// <summary>The client's IP address (without port); the only key an L4 (TCP) connection has.</summary>
    SourceIp,

    /// <summary>The first value of the query parameter <see cref="HashPolicy.Name"/>, as sent (not percent-decoded).</summary>
    QueryParameter,
}

/// <summary>
/// The hash key of a consistent-hash cluster. A request without the key (header, cookie or parameter absent) gets a
/// random endpoint, as Envoy does.
/// </summary>
public sealed record HashPolicy
{
    private HashPolicy(HashKeySource source, string? name)
    {
        Source = source;
        Name = name;
    }

    public HashKeySource Source { get; }

    /// <summary>Header, cookie or query parameter name; null for <see cref="HashKeySource.SourceIp"/>. Header names
    /// match case-insensitively, cookie and parameter names exactly.</summary>
    public string? Name { get; }

    /// <summary><c>Path</c> attribute of an issued cookie; null or empty for none.</summary>
    public string? CookiePath { get; init; }

    /// <summary>
    /// When set, a request without the cookie gets one: its value is derived from the downstream connection's
    /// addresses (so one connection keeps one value) and the request is hashed on it. Whole seconds become the cookie's
    /// <c>Max-Age</c>; zero issues a session cookie. When null, a request without the cookie gets a random endpoint.
    /// </summary>
    public TimeSpan? CookieTtl { get; init; }

    /// <summary>Further attributes of an issued cookie (<c>name</c> or <c>name=value</c>), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CookieAttributes { get; init; } = [];

    public static HashPolicy Header(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new HashPolicy(HashKeySource.Header, name);
    }

    public static HashPolicy Cookie(string name, TimeSpan? ttl = null, string? path = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new HashPolicy(HashKeySource.Cookie, name) { CookieTtl = ttl, CookiePath = path };
    }

    public static HashPolicy SourceIp() => new(HashKeySource.SourceIp, null);

    public static HashPolicy QueryParameter(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new HashPolicy(HashKeySource.QueryParameter, name);
    }
}
