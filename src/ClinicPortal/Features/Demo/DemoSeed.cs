using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Staff;

namespace ClinicPortal.Features.Demo;

/// <summary>The two demo clinics, their staff and webhook secrets. Seeded only in demo mode (DemoMode) or by `./clinic seed-demo`.</summary>
public static class DemoSeed
{
    /// <summary>The demo's well-known secrets (printed by `./clinic run`); Demo:* settings may replace them.</summary>
    public sealed record Options(string RiversideSecret, string HarbourSecret, string StaffPassword = "demo-Password-1",
        string HarbourHmacSecret = "harbour-hmac-secret")
    {
        public IReadOnlyList<string> Secrets => [RiversideSecret, HarbourSecret, HarbourHmacSecret];

        public static Options From(IConfiguration config) => new(
            config["Demo:RiversideWebhookSecret"] ?? "riverside-demo-secret",
            config["Demo:HarbourWebhookSecret"] ?? "harbour-demo-secret",
            config["Demo:StaffPassword"] ?? "demo-Password-1",
            config["Demo:HarbourHmacSecret"] ?? "harbour-hmac-secret");
    }

    /// <summary>
    /// Seeds the demo; harbour also gets an HMAC credential (sha256, hex, x-signature, x-timestamp, "{timestamp}.{body}") when
    /// the notes key that seals it is there (sealer can protect), which demo mode always has.
    /// </summary>
    public static async Task SeedAsync(string ownerConnectionString, Options options, Privacy.NoteProtector? sealer, CancellationToken ct = default)
    {
        await ClinicSetup.EnsureClinicAsync(ownerConnectionString, Clinic("riverside", "Riverside Aesthetics", "+442079460001",
            [("dr-patel", "Dr Priya Patel", "Aesthetic medicine"), ("dr-okafor", "Dr Ngozi Okafor", "Dermatology"),
             ("dr-lewis", "Dr Sam Lewis", "Cosmetic surgery")], options.RiversideSecret), ct);
        await ClinicSetup.EnsureClinicAsync(ownerConnectionString, Clinic("harbour", "Harbour Skin Clinic", "+441174960002",
            [("dr-chen", "Dr Wei Chen", "Aesthetic medicine"), ("dr-murphy", "Dr Aoife Murphy", "Dermatology"),
             ("dr-silva", "Dr Rafael Silva", "Cosmetic surgery")], options.HarbourSecret), ct);
        if (sealer is { CanProtect: true })
            await ClinicSetup.AddCredentialAsync(ownerConnectionString, "harbour", new Webhooks.NewCredential("demo HMAC", "hmac"),
                options.HarbourHmacSecret, sealer, ct);
        foreach (var clinic in new[] { "riverside", "harbour" })
        {
            await StaffAccounts.EnsureAsync(ownerConnectionString, clinic, $"admin@{clinic}.example", $"{Title(clinic)} Admin", options.StaffPassword, "admin", ct);
            await StaffAccounts.EnsureAsync(ownerConnectionString, clinic, $"staff@{clinic}.example", $"{Title(clinic)} Reception", options.StaffPassword, "staff", ct);
        }
    }

    private static string Title(string slug) => char.ToUpperInvariant(slug[0]) + slug[1..];

    /// <summary>A clinic with the demo's hours (Mon-Sat 09:00-17:00) and procedure list.</summary>
    public static ClinicSpec Clinic(string slug, string name, string phone,
        IReadOnlyList<(string Slug, string Name, string Specialty)> providers, string secret) =>
        new(slug, name, "Europe/London", phone, MinNoticeMinutes: 60,
            providers.Select(p => new ProviderSpec(p.Slug, p.Name, p.Specialty, MondayToSaturday)).ToList(),
            Procedures, [secret]);

    public static readonly IReadOnlyList<WorkingDay> MondayToSaturday =
        Enumerable.Range(1, 6).Select(d => new WorkingDay(d, new TimeOnly(9, 0), new TimeOnly(17, 0))).ToList();

    public static readonly IReadOnlyList<ProcedureSpec> Procedures =
    [
        new("Consultation", 30, 0, ["initial consultation", "assessment", "first appointment"],
            "A 30-minute assessment with a clinician to discuss your goals and options.", "None", "£75 (deducted from treatment)",
            "Bring a list of any medication you take."),
        new("Liquid rhinoplasty", 45, 15, ["non-surgical nose job", "nose filler", "non surgical rhinoplasty"],
            "Dermal filler reshapes the nose without surgery: smooths a bump, lifts the tip, improves symmetry.",
            "No downtime", "£2,500-£3,500", "Avoid alcohol and blood thinners for 24 hours before."),
        new("Anti-wrinkle injections", 30, 10, ["botox", "wrinkle relaxer", "forehead lines"],
            "Botulinum toxin relaxes the muscles that cause expression lines.", "No downtime; avoid exercise for 24 hours",
            "£200-£350", "Avoid alcohol for 24 hours before."),
        new("Lip filler", 45, 15, ["lip augmentation", "lip enhancement", "lip injections"],
            "Hyaluronic acid filler adds volume and definition to the lips.", "Swelling for 2-3 days", "£300-£450",
            "Avoid blood thinners for 48 hours before."),
        new("Chemical peel", 60, 15, ["skin peel", "facial peel"],
            "An acid solution removes damaged outer layers of skin.", "Redness and peeling for up to a week", "£120-£400",
            "Stop retinoids five days before."),
        new("Laser hair removal", 30, 10, ["hair removal", "laser"],
            "Laser light destroys hair follicles; a course of six sessions is typical.", "No downtime", "£60-£250 a session",
            "Shave the area the day before; no sun tanning for two weeks."),
    ];
}
