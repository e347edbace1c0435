using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Proxy.Hosting.Tests.TestInfrastructure;

namespace Proxy.Hosting.Tests.EndToEnd;

/// <summary>
/// Two echo backends (v1, v2) on free ports and a gateway built from YAML written to a temp directory, with the
/// Gateway's port 8080 overridden to a free port. Shared by the end-to-end tests of one class.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string Host = "reviews.example.com";
    public const string DownHost = "down.example.com";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "proxy-e2e-" + Guid.NewGuid().ToString("N"));

    public EchoServer V1 { get; private set; } = null!;

    public EchoServer V2 { get; private set; } = null!;

    public ProxyGateway Gateway { get; private set; } = null!;

    public IPEndPoint GatewayEndPoint { get; private set; } = null!;

    public IPEndPoint AdminEndPoint => Gateway.AdminEndPoint!;

    public async Task InitializeAsync()
    {
        V1 = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "v1");
        V2 = EchoServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), "v2");
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "gateway.yaml"), GatewayYaml(V1.EndPoint.Port, V2.EndPoint.Port, UnusedPort()));
        Gateway = await ProxyGateway.StartAsync(CreateOptions(_directory)).DefaultTimeout();
        GatewayEndPoint = Gateway.GetBoundEndPoint("127.0.0.1_8080")!;
        Assert.NotNull(GatewayEndPoint);
        await AdminClient.WaitUntilReadyAsync(AdminEndPoint);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync().DefaultTimeout();
        await V1.DisposeAsync().DefaultTimeout();
        await V2.DisposeAsync().DefaultTimeout();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static ProxyGatewayOptions CreateOptions(string configPath)
    {
        var options = new ProxyGatewayOptions
        {
            ListenAddress = IPAddress.Loopback,
            AdminEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            DrainTimeout = TimeSpan.FromSeconds(5),
        };
        options.ConfigPaths.Add(configPath);
        options.PortOverrides[8080] = 0;
        return options;
    }

    /// <summary>A port nothing listens on: bound once to get it from the OS, then released.</summary>
    public static int UnusedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static string GatewayYaml(int v1Port, int v2Port, int downPort) => string.Format(CultureInfo.InvariantCulture, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: test-gateway
        spec:
          selector:
            istio: ingressgateway
          servers:
          - port:
              number: 8080
              name: http
              protocol: HTTP
            hosts:
            - "*"
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: reviews
        spec:
          hosts:
          - reviews.backend.internal
          ports:
          - number: 80
            name: http
            protocol: HTTP
          resolution: STATIC
          endpoints:
          - address: 127.0.0.1
            ports:
              http: {0}
            labels:
              version: v1
          - address: 127.0.0.1
            ports:
              http: {1}
            labels:
              version: v2
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: down
        spec:
          hosts:
          - down.backend.internal
          ports:
          - number: 80
            name: http
            protocol: HTTP
          resolution: STATIC
          endpoints:
          - address: 127.0.0.1
            ports:
              http: {2}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews.backend.internal
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts:
          - reviews.example.com
          gateways:
          - test-gateway
          http:
          - match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination:
                host: reviews.backend.internal
                subset: v2
          - match:
            - uri:
                prefix: /v2/
            route:
            - destination:
                host: reviews.backend.internal
                subset: v2
          - route:
            - destination:
                host: reviews.backend.internal
                subset: v1
              weight: 90
            - destination:
                host: reviews.backend.internal
                subset: v2
              weight: 10
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: down
        spec:
          hosts:
          - down.example.com
          gateways:
          - test-gateway
          http:
          - route:
            - destination:
                host: down.backend.internal
        """, v1Port, v2Port, downPort);
}
