using System.Net;
using Proxy.Hosting;

namespace Proxy.Host.Tests.Examples;

/// <summary>Starts a gateway in-process on an example's YAML, as <c>proxy run</c> would, on free ports.</summary>
internal static class ExampleGateway
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// What <c>proxy run --config DIR [--credentials-dir CREDENTIALS] --listen-address 127.0.0.1 --admin 127.0.0.1:0</c>
    /// serves, except that the Gateway ports in <paramref name="ports"/> bind free ports (listener names keep the
    /// example's port: <c>127.0.0.1_8443</c>). Returns once <c>/ready</c> answers 200.
    /// </summary>
    public static async Task<ProxyGateway> StartAsync(string configDirectory, string? credentialsDirectory, params int[] ports)
    {
        var options = new ProxyGatewayOptions
        {
            ListenAddress = IPAddress.Loopback,
            AdminEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            CredentialsDirectory = credentialsDirectory,
            DrainTimeout = TimeSpan.FromSeconds(5),
        };
        options.ConfigPaths.Add(configDirectory);
        foreach (var port in ports)
        {
            options.PortOverrides[port] = 0;
        }

        var gateway = await ProxyGateway.StartAsync(options).WaitAsync(Timeout);
        try
        {
            await WaitUntilReadyAsync(gateway.AdminEndPoint!);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client that goes straight to the address given, whatever the environment's proxy settings.</summary>
    public static HttpClient PlainClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout };

    private static async Task WaitUntilReadyAsync(IPEndPoint admin)
    {
        using var client = PlainClient();
        using var deadline = new CancellationTokenSource(Timeout);
        while (true)
        {
            using (var response = await client.GetAsync($"http://{admin}/ready", deadline.Token))
            {
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }

            await Task.Delay(20, deadline.Token);
        }
    }
}
