namespace Proxy.Host.Tests.Cli;

internal static class TestYaml
{
    public const string Valid = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: demo-gateway
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
          - reviews.default.svc.cluster.local
          ports:
          - number: 80
            name: http
            protocol: HTTP
          resolution: STATIC
          endpoints:
          - address: 127.0.0.1
            ports:
              http: 9081
            labels:
              version: v1
          - address: 127.0.0.1
            ports:
              http: 9082
            labels:
              version: v2
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
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
          - "*"
          gateways:
          - demo-gateway
          http:
          - match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination:
                host: reviews
                subset: v2
          - route:
            - destination:
                host: reviews
                subset: v1
              weight: 90
            - destination:
                host: reviews
                subset: v2
              weight: 10
        """;

    /// <summary>
    /// Valid YAML with two errors in one file: an undefined subset in the VirtualService (document 3) and a bad
    /// regex in a second VirtualService (document 4). They sit in different objects because the Istio module drops an
    /// object that fails to parse before checking its references.
    /// </summary>
    public static readonly string Invalid = Valid.Replace("subset: v1", "subset: v3", StringComparison.Ordinal) + """

        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: ratings
        spec:
          hosts:
          - ratings.example.com
          gateways:
          - demo-gateway
          http:
          - match:
            - headers:
                end-user:
                  regex: "ja(son"
            route:
            - destination:
                host: reviews
                subset: v2
        """;
}
