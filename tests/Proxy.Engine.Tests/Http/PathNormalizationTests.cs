using System.Text;
using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Protocols.Http1;

namespace Proxy.Engine.Tests.Http;

/// <summary>
/// Envoy's normalize_path, which an Istio gateway runs on every request (MeshConfig pathNormalization default BASE =
/// HttpConnectionManager normalize_path true, merge_slashes false). Cases marked "Envoy" mirror
/// envoy test/common/http/path_utility_test.cc; cases marked "Chromium" follow the rules of the url_canon_path.cc that
/// Envoy's PathUtil::canonicalPath calls (envoy source/common/chromium_url/url_canon_path.cc).
/// </summary>
public sealed class PathNormalizationTests
{
    public static TheoryData<string, string> NormalizedPaths => new()
    {
        // Envoy PathUtilityTest.AlreadyNormalPaths: already normal paths don't change.
        { "/xyz", "/xyz" },
        { "/x/y/z", "/x/y/z" },

        // Envoy PathUtilityTest.NormalizeValidPaths.
        { "/a/b/../c", "/a/c" },            // parent dir
        { "/a/b/./c", "/a/b/c" },           // current dir
        { "a/b/../c", "/a/c" },             // non / start
        { "/a/b/../../../../c", "/c" },     // out number parent: ".." above the root stays at "/"
        { "/a/..\\c", "/c" },               // "..\" canonicalization
        { "/%c0%af", "/%c0%af" },           // 2 bytes unicode reserved characters
        { "/%5c%25", "/%5c%25" },           // reserved characters
        { "/a/b/%2E%2E/c", "/a/c" },        // %2E escape
        { "/a/b/%2E./c", "/a/c" },
        { "/a/b/%2E/c", "/a/b/c" },
        { "..", "/" },
        { "/../a/b", "/a/b" },
        { "/./a/b", "/a/b" },

        // Envoy PathUtilityTest.NormalizeCasePath.
        { "/A/B/C", "/A/B/C" },             // not normalized to lower case
        { "/a/b/%2e%2e/c", "/a/c" },        // %2e can be normalized to .
        { "/a/%2F%2f/c", "/a/%2F%2f/c" },   // %2F is not normalized to %2f

        // Chromium DoPartialPath/ClassifyAfterDot: a dot segment ends at '/', '\' or the end; anything else is a name.
        { "/a/.", "/a/" },
        { "/a/b/..", "/a/" },
        { "/a/b/../", "/a/" },
        { "/a/.%2e", "/" },
        { "/a/%2e", "/a/" },
        { "/a/.\\b", "/a/b" },
        { "/.hidden", "/.hidden" },
        { "/a./b", "/a./b" },
        { "/..a/b", "/..a/b" },
        { "/a/...", "/a/..." },
        { "/a%2eb", "/a.b" },               // an escaped dot is always decoded, segment or not
        { "/v1.2/app.min.js", "/v1.2/app.min.js" },

        // Chromium: repeated slashes are kept (merge_slashes is off), so ".." drops only back to the previous slash.
        { "/a//../b", "/a/b" },
        { "//../a", "/a" },
        { "/a//b", "/a//b" },

        // Chromium kPathCharLookup: escaped unreserved characters are decoded, other escapes kept as sent.
        { "/%41%62c", "/Abc" },
        { "/a%2Db%5F%7e%30", "/a-b_~0" },
        { "/a%20b", "/a%20b" },
        { "/a%3Fb%23c", "/a%3Fb%23c" },

        // Chromium: bytes not allowed raw in a path are escaped with upper-case hex; '\' becomes '/'.
        { "/a\"b", "/a%22b" },
        { "/a<b>", "/a%3Cb%3E" },
        { "/^`{|}", "/%5E%60%7B%7C%7D" },
        { "/a\\b", "/a/b" },

        // Chromium: a '%' that starts no escape is kept, unless what follows decodes into one (CheckForNestedEscapes).
        { "/a%", "/a%" },
        { "/a%2", "/a%2" },
        { "/a%zz", "/a%zz" },
        { "/%%300", "/%2500" },
        { "/%%30%30", "/%2500" },
        { "/%%41", "/%A" },
    };

    [Theory]
    [MemberData(nameof(NormalizedPaths))]
    public void TryNormalize_EnvoyAndChromiumCases_GiveEnvoysPath(string input, string expected)
    {
        var (valid, output) = Normalize(input);

        Assert.True(valid);
        Assert.Equal(expected, output);
    }

    [Theory]
    [MemberData(nameof(NormalizedPaths))]
    public void IsNormal_ClaimsOnlyWhatTryNormalizeKeeps(string input, string expected)
    {
        // The fast path may send a normal path to the slow one, never the other way round.
        if (PathNormalizer.IsNormal(Encoding.Latin1.GetBytes(input)))
        {
            Assert.Equal(input, expected);
        }
    }

    [Theory]
    [InlineData("/xyz")]
    [InlineData("/x/y/z")]
    [InlineData("/a/.b/c./d..e/...")]
    [InlineData("/a//b/")]
    [InlineData("/api/v1/items;param=1:x@y!$&'()*+,=[]")]
    public void IsNormal_PlainPaths_True(string path) => Assert.True(PathNormalizer.IsNormal(Encoding.ASCII.GetBytes(path)));

    [Theory]
    [InlineData("/xyz/.%00../abc")]      // Envoy PathUtilityTest.InvalidPaths
    [InlineData("/xyz/%00.%00./abc")]    // Envoy PathUtilityTest.InvalidPaths
    [InlineData("/xyz/AAAAA%%0000/abc")] // Envoy PathUtilityTest.InvalidPaths
    [InlineData("/a\0b")]                // Chromium kPathCharLookup: a raw NUL is INVALID
    public void TryNormalize_NulEscapes_Invalid(string input) => Assert.False(Normalize(input).Valid);

    [Fact]
    public void TryNormalize_RandomPaths_MatchTheFastPathAndStayInBounds()
    {
        // Paths over the bytes that matter, to hold IsNormal to TryNormalize and the 3n+1 bound over many shapes.
        var alphabet = "/\\.%2eEfF0a~\"{"u8.ToArray();
        var random = new Random(4242);
        var path = new byte[24];
        var output = new byte[PathNormalizer.MaxNormalizedLength(path.Length)];
        for (var round = 0; round < 20_000; round++)
        {
            var length = random.Next(1, path.Length + 1);
            for (var i = 0; i < length; i++)
            {
                path[i] = alphabet[random.Next(alphabet.Length)];
            }

            path[0] = (byte)'/';
            var input = path.AsSpan(0, length);
            var valid = PathNormalizer.TryNormalize(input, output, out var written);
            Assert.True(written <= PathNormalizer.MaxNormalizedLength(length));
            if (PathNormalizer.IsNormal(input))
            {
                Assert.True(valid && output.AsSpan(0, written).SequenceEqual(input), Encoding.ASCII.GetString(input));
            }
        }
    }

    [Fact]
    public void Head_DotSegments_TargetAsSentPathNormalizedQueryKept()
    {
        var head = HttpRequestHead.Create("GET", "/api/../admin?next=/../x", new KeyValuePair<string, string>("Host", "a"));

        Assert.Equal("/api/../admin?next=/../x", Encoding.ASCII.GetString(head.Target));
        Assert.Equal("/admin", Encoding.ASCII.GetString(head.Path));
        Assert.Equal("next=/../x", Encoding.ASCII.GetString(head.Query));
        Assert.True(head.PathNormalized);
    }

    [Fact]
    public void Head_AbsoluteForm_PathNormalized()
    {
        var head = HttpRequestHead.Create("GET", "http://example.com/a/./b/%2e%2E/c?q");

        Assert.Equal("example.com", Encoding.ASCII.GetString(head.Host));
        Assert.Equal("/a/c", Encoding.ASCII.GetString(head.Path));
        Assert.Equal("q", Encoding.ASCII.GetString(head.Query));
    }

    [Theory]
    [InlineData("OPTIONS", "*", "*")]
    [InlineData("CONNECT", "example.com:443", "")]
    [InlineData("GET", "/a/b", "/a/b")]
    public void Head_AsteriskConnectAndNormalPaths_Untouched(string method, string target, string path)
    {
        var head = HttpRequestHead.Create(method, target, new KeyValuePair<string, string>("Host", "a"));

        Assert.Equal(path, Encoding.ASCII.GetString(head.Path));
        Assert.False(head.PathNormalized);
    }

    [Fact]
    public void Head_PathEnvoyRejects_Throws400()
    {
        var error = Assert.Throws<Http1ParseException>(() => HttpRequestHead.Create("GET", "/xyz/%00.%00./abc"));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal(Http1ParseError.InvalidRequestTarget, error.Error);
    }

    [Fact]
    public void Head_Refilled_NormalizesWithoutAllocating()
    {
        var head = HttpRequestHead.Create("GET", "/");
        var targets = new[] { "/a/b/c?x=1"u8.ToArray(), "/a/./b/../c/%41?x=1"u8.ToArray(), "/a\\..\\b"u8.ToArray() };
        foreach (var target in targets)
        {
            Fill(head, target);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                Fill(head, target);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal("/b", Encoding.ASCII.GetString(head.Path));
    }

    [Fact]
    public async Task DotDotOutOfPrefix_RoutesOnNormalizedPathAndForwardsIt()
    {
        // The bypass Envoy closes: "/api/../admin" is "/admin" before routing, so the /api route never sees it.
        await using var api = new TestBackend();
        await using var other = new TestBackend();
        var apiCluster = ProxyFixture.Cluster("api", api.EndPoint);
        var otherCluster = ProxyFixture.Cluster("other", other.EndPoint);
        var router = new TableRouter()
            .Add("*", "/api", new HttpRoute("api", [new WeightedCluster(apiCluster, 1)]))
            .Add("*", "/", new HttpRoute("other", [new WeightedCluster(otherCluster, 1)]));
        await using var proxy = await ProxyFixture.StartAsync(router, [apiCluster, otherCluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /api/../admin HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("GET /admin", response.BodyText);
        Assert.Empty(api.Requests);
        Assert.Equal("/admin", Assert.Single(other.Requests).Target);
    }

    [Fact]
    public async Task DotDotOutOfPrefix_NoOtherRoute_Answers404()
    {
        await using var api = new TestBackend();
        var apiCluster = ProxyFixture.Cluster("api", api.EndPoint);
        var router = new TableRouter().Add("*", "/api", new HttpRoute("api", [new WeightedCluster(apiCluster, 1)]));
        await using var proxy = await ProxyFixture.StartAsync(router, [apiCluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /api/%2e%2e/admin HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(404, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("GET /api/%2E%2E\\admin HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(404, (await client.ReadResponseAsync()).Status);

        Assert.Empty(api.Requests);
    }

    [Theory]
    [InlineData("/a/./b", "/a/b")]
    [InlineData("/a/./b?x=/../y&z", "/a/b?x=/../y&z")] // the query is never normalised
    [InlineData("/a/../b?", "/b?")]                    // Envoy keeps the query suffix from its '?', empty or not
    [InlineData("/x/%2F%2f/y?q", "/x/%2F%2f/y?q")]     // Envoy NormalizeCasePath: escapes kept as sent
    [InlineData("/%7euser/a%20b", "/~user/a%20b")]
    [InlineData("http://a/x/../y?q=1", "/y?q=1")]      // absolute-form: its path is normalised too
    public async Task Forward_UpstreamReceivesNormalizedPathAndQueryAsSent(string target, string forwarded)
    {
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        // The next request on the connection is forwarded as sent again: nothing of the last one's path lingers.
        await client.SendAsync("GET /plain?k=v HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        Assert.Equal(new[] { forwarded, "/plain?k=v" }, backend.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task PathEnvoyCannotNormalize_Answers400WithoutForwarding()
    {
        // Envoy PathUtilityTest.InvalidPaths: canonicalPath fails, and the connection manager answers 400
        // (response code details path_normalization_failed) before routing.
        await using var backend = new TestBackend();
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /xyz/%00.%00./abc HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.True(await client.IsClosedByPeerAsync());
        Assert.Empty(backend.Requests);
    }

    private static (bool Valid, string Output) Normalize(string input)
    {
        var bytes = Encoding.Latin1.GetBytes(input);
        var output = new byte[PathNormalizer.MaxNormalizedLength(bytes.Length)];
        var valid = PathNormalizer.TryNormalize(bytes, output, out var written);
        return (valid, Encoding.Latin1.GetString(output, 0, written));
    }

    private static void Fill(HttpRequestHead head, byte[] target)
    {
        head.Reset();
        head.SetRequestLine(Http1Method.Get, "GET"u8, target, Http1Version.Http11);
        head.AddHeader(KnownHeader.Host, "Host"u8, "a"u8);
        head.Complete();
    }
}
