using Proxy.Istio.Hosts;

namespace Proxy.Istio.Tests.Hosts;

public class HostNameTests
{
    // virtual_service.proto hosts: "reviews will be interpreted as reviews.default.svc.cluster.local" for a rule in
    // default; Istio ResolveShortnameToFQDN leaves names with a dot and wildcards alone.
    [Theory]
    [InlineData("reviews", "default", "reviews.default.svc.cluster.local")]
    [InlineData("reviews", "prod", "reviews.prod.svc.cluster.local")]
    [InlineData("reviews.prod", "default", "reviews.prod")]
    [InlineData("api.example.com", "default", "api.example.com")]
    [InlineData("*", "default", "*")]
    [InlineData("*.example.com", "default", "*.example.com")]
    public void Qualify_Table(string host, string ns, string expected)
    {
        Assert.Equal(expected, HostName.Qualify(host, ns));
    }

    // istio pkg/config/host/name_test.go TestNameMatches: bidirectional wildcard overlap.
    [Theory]
    [InlineData("foo.com", "foo.com", true)]
    [InlineData("foo.com", "bar.com", false)]
    [InlineData("*", "foo.com", true)]
    [InlineData("foo.com", "*", true)]
    [InlineData("*.com", "foo.com", true)]
    [InlineData("foo.com", "*.com", true)]
    [InlineData("*.foo.com", "foo.com", false)]
    [InlineData("*.foo.com", "bar.foo.com", true)]
    [InlineData("*.foo.com", "a.b.foo.com", true)]
    [InlineData("*.com", "*.foo.com", true)]
    [InlineData("*.foo.com", "*.com", true)]
    [InlineData("*.foo.com", "*.bar.com", false)]
    [InlineData("Foo.COM", "foo.com", true)]
    public void Matches_Table(string a, string b, bool expected)
    {
        Assert.Equal(expected, HostName.Matches(a, b));
    }

    // istio name.go SubsetOf: every host a names is named by b.
    [Theory]
    [InlineData("foo.com", "*", true)]
    [InlineData("*", "foo.com", false)]
    [InlineData("a.foo.com", "*.foo.com", true)]
    [InlineData("*.a.foo.com", "*.foo.com", true)]
    [InlineData("*.foo.com", "*.a.foo.com", false)]
    [InlineData("foo.com", "foo.com", true)]
    public void SubsetOf_Table(string a, string b, bool expected)
    {
        Assert.Equal(expected, HostName.SubsetOf(a, b));
    }

    [Theory]
    [InlineData("*", null)]
    [InlineData("*.example.com", null)]
    [InlineData("reviews", null)]
    [InlineData("10.0.0.1", null)]
    [InlineData("a*.example.com", "host \"a*.example.com\": a wildcard must be the whole left-most label (\"*.example.com\")")]
    [InlineData("foo.*.com", "host \"foo.*.com\" is not a valid DNS name (label \"*\")")]
    [InlineData("-bad.com", "host \"-bad.com\" is not a valid DNS name (label \"-bad\")")]
    [InlineData("a..b", "host \"a..b\" is not a valid DNS name (label \"\")")]
    [InlineData("", "host must not be empty")]
    public void Validate_Table(string host, string? problem)
    {
        Assert.Equal(problem, HostName.Validate(host));
    }
}
