using ClinicPortal.Features.Privacy;
using ClinicPortal.Features.Staff;
using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Patients;

/// <summary>Patient records (the Patients pages) and the admin's subject-access export: GET /api/patients/{id}/export(.html).</summary>
public static class PatientsFeature
{
    public static IServiceCollection AddPatients(this IServiceCollection s) => s.AddSingleton<PatientRecords>();

    public static IEndpointRouteBuilder MapPatientEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/patients").RequireAuthorization(StaffClaims.AdminPolicy);
        admin.MapGet("/{id:guid}/export", (Guid id, HttpContext http, ClinicDb db, DataKeys keys, NoteProtector notes, CancellationToken ct) =>
            ExportAsync(id, "json", http, db, keys, notes, ct));
        admin.MapGet("/{id:guid}/export.html", (Guid id, HttpContext http, ClinicDb db, DataKeys keys, NoteProtector notes, CancellationToken ct) =>
            ExportAsync(id, "html", http, db, keys, notes, ct));
        return app;
    }

    private static async Task<IResult> ExportAsync(Guid id, string format, HttpContext http, ClinicDb db, DataKeys keys, NoteProtector notes,
        CancellationToken ct)
    {
        var clinic = StaffClaims.Clinic(http.User);
        var export = await db.WriteAsync(clinic, (conn, tx) =>
            SubjectAccess.BuildAsync(conn, tx, keys, notes, clinic, id, format, StaffClaims.Actor(http.User), ct), ct);
        if (export is null)
            return Shared.ProblemResponses.Problem(StatusCodes.Status404NotFound, "No such patient", "This clinic has no patient with that id.");
        var name = $"patient-{id:N}-{DateTime.UtcNow:yyyyMMdd}";
        return format == "html"
            ? Results.File(System.Text.Encoding.UTF8.GetBytes(SubjectAccess.ToHtml(export)), "text/html; charset=utf-8", name + ".html")
            : Results.File(System.Text.Encoding.UTF8.GetBytes(SubjectAccess.ToJson(export)), "application/json", name + ".json");
    }
}
