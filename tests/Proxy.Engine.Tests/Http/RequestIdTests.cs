using System.Text;
using Proxy.Engine.Http;

namespace Proxy.Engine.Tests.Http;

public sealed class RequestIdTests
{
    [Fact]
    public void Write_ProducesDistinctVersion4Uuids()
    {
        var seen = new HashSet<string>();
        Span<byte> buffer = stackalloc byte[RequestId.Length];
        for (var i = 0; i < 10_000; i++)
        {
            RequestId.Write(buffer);
            var text = Encoding.ASCII.GetString(buffer);
            Assert.True(Guid.TryParseExact(text, "D", out _), text);
            Assert.Equal('4', text[14]);
            Assert.Contains(text[19], "89ab");
            Assert.Equal(text, text.ToLowerInvariant());
            Assert.True(seen.Add(text));
        }
    }
}
