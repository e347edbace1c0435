using System.Text;
using Proxy.Protocols.Http1;

namespace Proxy.Protocols.Tests.Http1;

public class KnownHeadersTests
{
    [Theory]
    [InlineData("Host", KnownHeader.Host)]
    [InlineData("CONTENT-LENGTH", KnownHeader.ContentLength)]
    [InlineData("transfer-encoding", KnownHeader.TransferEncoding)]
    [InlineData("Connection", KnownHeader.Connection)]
    [InlineData("Upgrade", KnownHeader.Upgrade)]
    [InlineData("Expect", KnownHeader.Expect)]
    [InlineData("te", KnownHeader.TE)]
    [InlineData("Keep-Alive", KnownHeader.KeepAlive)]
    [InlineData("Proxy-Connection", KnownHeader.ProxyConnection)]
    [InlineData("Trailer", KnownHeader.Trailer)]
    [InlineData("X-Forwarded-For", KnownHeader.XForwardedFor)]
    [InlineData("x-forwarded-proto", KnownHeader.XForwardedProto)]
    [InlineData("X-Request-ID", KnownHeader.XRequestId)]
    [InlineData("Hosts", KnownHeader.None)]
    [InlineData("Content-Type", KnownHeader.None)]
    [InlineData("", KnownHeader.None)]
    public void Recognize_AnyCase_MapsKnownNames(string name, KnownHeader expected)
        => Assert.Equal(expected, KnownHeaders.Recognize(Encoding.ASCII.GetBytes(name)));

    [Theory]
    [InlineData("GET", Http1Method.Get)]
    [InlineData("CONNECT", Http1Method.Connect)]
    [InlineData("OPTIONS", Http1Method.Options)]
    [InlineData("get", Http1Method.Custom)]
    [InlineData("PURGE", Http1Method.Custom)]
    public void RecognizeMethod_CaseSensitive_MapsKnownMethods(string token, Http1Method expected)
        => Assert.Equal(expected, KnownHeaders.RecognizeMethod(Encoding.ASCII.GetBytes(token)));
}
