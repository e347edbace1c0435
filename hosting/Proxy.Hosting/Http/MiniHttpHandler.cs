namespace Proxy.Hosting.Http;

/// <summary>Answers one request. Called on the connection's task, in request order; must not block for long.</summary>
internal delegate MiniHttpResponse MiniHttpHandler(MiniHttpRequest request);
