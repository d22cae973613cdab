namespace ClinicPortal.Shared;

/// <summary>Reads a request body only up to a limit, whatever Content-Length claimed (a chunked body is counted as it arrives).</summary>
public static class RequestBody
{
    /// <summary>The body, or null when it is over the limit.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static IResult TooLarge(int maxBytes) =>
        ProblemResponses.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is over {maxBytes / 1024} KB.");
}
