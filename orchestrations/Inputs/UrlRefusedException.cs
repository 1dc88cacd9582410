using System.Net;

namespace VaceFunctions.Orchestrations.Inputs;

/// <summary>
/// <see cref="UrlGuard"/> refused to connect to a URL's address. It stays refused, so it is not retried; the status
/// code is 403 for callers that look only at <see cref="HttpRequestException"/>.
/// </summary>
public sealed class UrlRefusedException(string message) : HttpRequestException(message, null, HttpStatusCode.Forbidden);
