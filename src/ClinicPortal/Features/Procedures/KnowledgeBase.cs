using System.Text.Json;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Procedures;

/// <summary>
/// Vapi's knowledge-base-request (a custom knowledge base): the procedure of this clinic that the caller's last message is
/// about, found with lookup_procedure's matcher, as Vapi's documents ({content, similarity, uuid}). Nothing matches: no
/// documents. Runs under the clinic's row-level security, so another clinic's procedures cannot appear.
/// </summary>
public sealed class KnowledgeBase(ClinicDb db)
{
    public sealed record Document(string Content, double Similarity, string Uuid);

    public async Task<IReadOnlyList<Document>> DocumentsAsync(Guid clinic, JsonElement message, CancellationToken ct)
    {
        if (LastUserMessage(message) is not { Length: > 0 } query) return [];
        if (query.Length > 500) query = query[^500..];
        await using var conn = await db.OpenAsync(ct); // a read: nothing to commit, no listener to wake
        var match = await ProcedureCatalog.FindAsync(conn, null, clinic, query);
        if (match is null) return [];
        var content = $"{match.Name}: {match.Description} Duration: {match.DurationMinutes} minutes. Price: {match.PriceRange}. " +
                      $"Recovery: {match.Recovery}. Preparation: {match.PreparationNotes}";
        return [new Document(content, Math.Round(match.Score, 3), match.Id.ToString())];
    }

    /// <summary>The newest user turn of messages (or messagesOpenAIFormatted): its "message" or "content".</summary>
    private static string? LastUserMessage(JsonElement message)
    {
        foreach (var list in new[] { "messages", "messagesOpenAIFormatted" })
        {
            if (!message.TryGetProperty(list, out var turns) || turns.ValueKind != JsonValueKind.Array) continue;
            foreach (var turn in turns.EnumerateArray().Reverse())
                if (turn.ValueKind == JsonValueKind.Object && turn.TryGetProperty("role", out var role) && role.GetString() == "user")
                    foreach (var field in new[] { "message", "content" })
                        if (turn.TryGetProperty(field, out var text) && text.ValueKind == JsonValueKind.String) return text.GetString()!.Trim();
        }
        return null;
    }
}
