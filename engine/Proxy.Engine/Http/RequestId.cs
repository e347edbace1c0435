namespace Proxy.Engine.Http;

/// <summary>
/// Generates <c>x-request-id</c> values: random (version 4) UUIDs in their 36-character text form, written straight
/// into a span. <see cref="Guid.NewGuid"/> reads the OS's cryptographic source, one syscall per request (measured:
/// perf/RESULTS.md); a request id needs uniqueness, not unpredictability, so the thread-local xoshiro generator
/// behind <see cref="Random.Shared"/> serves, as Envoy's own random generator does for its UUIDs.
/// </summary>
internal static class RequestId
{
    public const int Length = 36;

    public static void Write(Span<byte> destination)
    {
        Span<byte> random = stackalloc byte[16];
        Random.Shared.NextBytes(random);
        random[6] = (byte)((random[6] & 0x0F) | 0x40); // version 4 (RFC 9562 5.4)
        random[8] = (byte)((random[8] & 0x3F) | 0x80); // variant 10xx

        var hex = "0123456789abcdef"u8;
        var j = 0;
        for (var i = 0; i < random.Length; i++)
        {
            if (i is 4 or 6 or 8 or 10)
            {
                destination[j++] = (byte)'-';
            }

            destination[j++] = hex[random[i] >> 4];
            destination[j++] = hex[random[i] & 0xF];
        }
    }
}
