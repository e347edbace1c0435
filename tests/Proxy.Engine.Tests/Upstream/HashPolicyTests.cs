using System.IO.Hashing;
using System.Net;
using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream;

/// <summary>The hash keys of Istio's consistentHash, computed as Envoy's route hash policies do.</summary>
public sealed class HashPolicyTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("10.1.2.3"), 55555);
    private static readonly IPEndPoint Gateway = new(IPAddress.Parse("10.0.0.1"), 8080);

    private static ClusterState Cluster(HashPolicy hash, LoadBalancingPolicy policy = LoadBalancingPolicy.RingHash) =>
        ConsistentHashTests.Cluster(policy, hash, [.. Enumerable.Range(1, 8).Select(i => new EndpointConfig($"10.0.0.{i}", 80))]);

    private static HttpRequestHead Get(string target, params (string Name, string Value)[] headers) =>
        HttpRequestHead.Create("GET", target, [new("Host", "a"), .. headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value))]);

    private static EndpointPick Pick(ClusterState cluster, HttpRequestHead? request, IPEndPoint? remote = null, IPEndPoint? local = null)
        => cluster.PickEndpoint(new LoadBalancerContext(request, remote ?? Client, local ?? Gateway));

    /// <summary>The endpoint a hash lands on, computed independently of the request parsing.</summary>
    private static EndpointState Expected(ClusterState cluster, string key)
        => cluster.Endpoints[cluster.Ring!.Pick(XxHash64.HashToUInt64(Encoding.ASCII.GetBytes(key)))];

    [Fact]
    public void Cookie_AbsentWithTtl_IssuedFromConnectionAddresses()
    {
        // Envoy generateCookie: value = hex(xxHash64(remote.asString() + local.asString())); makeSetCookieValue:
        // name="value"; Max-Age=<ttl seconds>; Path=<path>; HttpOnly. The request is hashed on the new value.
        var cluster = Cluster(HashPolicy.Cookie("session", TimeSpan.FromHours(1), "/"));

        var pick = Pick(cluster, Get("/"));

        var value = XxHash64.HashToUInt64("10.1.2.3:5555510.0.0.1:8080"u8).ToString("x16");
        Assert.Equal($"session=\"{value}\"; Max-Age=3600; Path=/; HttpOnly", Encoding.ASCII.GetString(pick.SetCookie!));
        Assert.Same(Expected(cluster, value), pick.Endpoint);
    }

    [Fact]
    public void Cookie_SameConnection_SameIssuedValue_OtherConnectionOther()
    {
        // "The cookie value should be the same per connection" (Envoy router addDownstreamSetCookie).
        var cluster = Cluster(HashPolicy.Cookie("session", TimeSpan.FromMinutes(5)));

        var first = Pick(cluster, Get("/a"));
        var second = Pick(cluster, Get("/b"));
        var otherPort = Pick(cluster, Get("/a"), new IPEndPoint(Client.Address, 55556));

        Assert.Equal(first.SetCookie, second.SetCookie);
        Assert.Same(first.Endpoint, second.Endpoint);
        Assert.NotEqual(first.SetCookie, otherPort.SetCookie);
    }

    [Fact]
    public void Cookie_Present_NotIssuedAndStable()
    {
        var cluster = Cluster(HashPolicy.Cookie("session", TimeSpan.FromHours(1), "/"));
        var issued = Pick(cluster, Get("/"));
        var value = Encoding.ASCII.GetString(issued.SetCookie!).Split('"')[1];

        for (var i = 0; i < 20; i++)
        {
            // Any client address: the cookie, not the connection, decides once it is sent back (quotes stripped as
            // Envoy's parseCookieValue does, RFC 6265 4.1.1).
            var back = Pick(cluster, Get("/", ("Cookie", $"theme=dark; session=\"{value}\"")), new IPEndPoint(IPAddress.Parse($"192.0.2.{i + 1}"), 1000 + i));

            Assert.Null(back.SetCookie);
            Assert.Same(issued.Endpoint, back.Endpoint);
        }
    }

    [Fact]
    public void Cookie_InSecondCookieField_Found()
    {
        var cluster = Cluster(HashPolicy.Cookie("session"));

        var pick = Pick(cluster, Get("/", ("Cookie", "a=1"), ("cookie", "b=2;session=xyz")));

        Assert.Same(Expected(cluster, "xyz"), pick.Endpoint);
    }

    [Fact]
    public void Cookie_TtlZero_SessionCookieWithoutMaxAge()
    {
        // Istio HTTPCookie.ttl: "If the TTL is present and zero, the generated cookie will be a session cookie."
        var cluster = Cluster(HashPolicy.Cookie("user", TimeSpan.Zero) with
        {
            CookieAttributes = [new("SameSite", "Strict"), new("Secure", "")],
        });

        var setCookie = Encoding.ASCII.GetString(Pick(cluster, Get("/")).SetCookie!);

        // Envoy makeSetCookieValue appends attributes ("; name" or "; name=value") after Path and before HttpOnly.
        Assert.Matches("^user=\"[0-9a-f]{16}\"; SameSite=Strict; Secure; HttpOnly$", setCookie);
    }

    [Fact]
    public void Cookie_AbsentWithoutTtl_NoCookieAndRandomPick()
    {
        // Envoy CookieHashMethod: no value and no ttl -> no hash -> a random endpoint.
        var cluster = Cluster(HashPolicy.Cookie("session"));

        var endpoints = new HashSet<EndpointState>();
        for (var i = 0; i < 400 && endpoints.Count < 8; i++)
        {
            var pick = Pick(cluster, Get("/"));
            Assert.Null(pick.SetCookie);
            endpoints.Add(pick.Endpoint!);
        }

        Assert.Equal(8, endpoints.Count);
    }

    [Fact]
    public void SourceIp_SameAddressAnyPort_SameEndpoint_AlsoForTcp()
    {
        // Istio useSourceIp: "Hash based on the source IP address. This is applicable for both TCP and HTTP
        // connections." Envoy IpHashMethod hashes the address text without the port.
        var cluster = Cluster(HashPolicy.SourceIp());
        var expected = Expected(cluster, "10.1.2.3");

        for (var port = 40000; port < 40020; port++)
        {
            var remote = new IPEndPoint(Client.Address, port);
            Assert.Same(expected, Pick(cluster, Get("/"), remote).Endpoint);
            Assert.Same(expected, Pick(cluster, request: null, remote).Endpoint);
        }
    }

    [Fact]
    public void SourceIp_Ipv6_HashedWithoutBrackets()
    {
        var cluster = Cluster(HashPolicy.SourceIp(), LoadBalancingPolicy.RingHash);

        var pick = Pick(cluster, null, new IPEndPoint(IPAddress.Parse("2001:db8::7"), 1234));

        Assert.Same(Expected(cluster, "2001:db8::7"), pick.Endpoint);
    }

    [Fact]
    public void SourceIp_Ipv4MappedOnADualStackListener_HashedAsIpv4()
    {
        // A client reaching a [::] listener over IPv4 arrives as ::ffff:a.b.c.d; Envoy reports (and x-forwarded-for
        // carries) a.b.c.d, so the key must be the IPv4 text or one client would move between listeners.
        var cluster = Cluster(HashPolicy.SourceIp(), LoadBalancingPolicy.RingHash);

        // Ten addresses, so a key that merely happens to land on the same endpoint cannot pass.
        for (var host = 1; host <= 10; host++)
        {
            var pick = Pick(cluster, null, new IPEndPoint(IPAddress.Parse($"::ffff:10.1.2.{host}"), 1234));
            Assert.Same(Expected(cluster, $"10.1.2.{host}"), pick.Endpoint);
        }
    }

    [Fact]
    public void QueryParameter_FirstValueAsSent()
    {
        // Envoy QueryParameterHashMethod: QueryParamsMulti::parseQueryString (not percent-decoded), first value.
        var cluster = Cluster(HashPolicy.QueryParameter("user"));

        Assert.Same(Expected(cluster, "42"), Pick(cluster, Get("/p?a=1&user=42&user=7")).Endpoint);
        Assert.Same(Expected(cluster, "a%20b"), Pick(cluster, Get("/p?user=a%20b")).Endpoint);
        Assert.Same(Expected(cluster, ""), Pick(cluster, Get("/p?x=1&user")).Endpoint);
    }

    [Fact]
    public void Header_NameCaseInsensitive_ValuesInAnyOrder()
    {
        // Envoy HeaderHashMethod sorts multiple values: "generates the same hash value for {foo, bar} and {bar, foo}".
        var cluster = Cluster(HashPolicy.Header("X-User"));

        Assert.Same(Expected(cluster, "alice"), Pick(cluster, Get("/", ("x-user", "alice"))).Endpoint);
        Assert.Same(Expected(cluster, "barfoo"), Pick(cluster, Get("/", ("x-user", "foo"), ("X-USER", "bar"))).Endpoint);
        Assert.Same(Expected(cluster, "barfoo"), Pick(cluster, Get("/", ("x-user", "bar"), ("x-user", "foo"))).Endpoint);
    }

    [Fact]
    public void PickEndpoint_ByHashKey_AllocatesNothing()
    {
        // Hot path: the key is hashed in place (header, cookie, query bytes, the address formatted on the stack).
        var policies = new[]
        {
            (Cluster(HashPolicy.Header("x-user")), Get("/", ("x-user", "alice"))),
            (Cluster(HashPolicy.Header("x-user"), LoadBalancingPolicy.Maglev), Get("/", ("x-user", "b"), ("x-user", "a"))),
            (Cluster(HashPolicy.Cookie("s", TimeSpan.FromHours(1))), Get("/", ("Cookie", "a=1; s=\"v\""))),
            (Cluster(HashPolicy.QueryParameter("u")), Get("/?q=1&u=2")),
            (Cluster(HashPolicy.SourceIp()), Get("/")),
        };

        foreach (var (cluster, request) in policies)
        {
            Pick(cluster, request);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                Pick(cluster, request);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
