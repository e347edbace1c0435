using System.Net;

namespace Proxy.Hosting.Tests.TestInfrastructure;

internal static class AdminClient
{
    public static async Task<RawHttpResponse> SendAsync(IPEndPoint admin, string method, string path)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(admin);
        await connection.SendAsync($"{method} {path} HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
        return await connection.ReadResponseAsync() ?? throw new InvalidOperationException("The admin endpoint closed without answering.");
    }

    /// <summary>Polls <c>/ready</c> until it answers 200; fails after the default timeout.</summary>
    public static async Task WaitUntilReadyAsync(IPEndPoint admin)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            if ((await SendAsync(admin, "GET", "/ready")).StatusCode == 200)
            {
                return;
            }

            await Task.Delay(20, timeout.Token);
        }
    }
}
