using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Infrastructure.Database;

public enum AppointmentStatus { Pending, Confirmed, Cancelled, Completed, NoShow }

public enum AppointmentSource { Voice, Staff }

// Entities for the tables the staff portal reads with LINQ. The schema is SQL in db/migrations and the database owns
// its invariants: EF Core maps the tables and generates no migrations; writes that hold invariants call the SQL functions.

public sealed class Clinic
{
    public Guid Id { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public string TimeZone { get; init; } = "";
    public string? Phone { get; init; }
    public int MinNoticeMinutes { get; init; }
    public string Country { get; init; } = "";
    public bool ExpireUnconfirmed { get; init; }
    public bool SmsAnyCountry { get; init; }
    public int SmsDailyCap { get; init; }
    public int KeepCallRecordsDays { get; init; }
    public int KeepTextBodiesDays { get; init; }
    public int KeepEventsDays { get; init; }
    public int KeepCallerNumbersDays { get; init; }
    public string? TransferPhone { get; init; }
    public bool VoiceEnabled { get; init; }
    public string? VapiAssistantId { get; init; }
    public string? VapiCredentialId { get; init; }
    public string? AssistantModel { get; init; }
    public string? AssistantVoice { get; init; }
}

/// <summary>A Vapi credential; the secret is stored only as its hash, which this model does not read.</summary>
public sealed class WebhookCredential
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public string Label { get; init; } = "";
    public string Kind { get; init; } = "bearer";
    public string HeaderName { get; init; } = "Authorization";
    public string? Algorithm { get; init; }
    public string? SignatureHeader { get; init; }
    public string? TimestampHeader { get; init; }
    public string? PayloadFormat { get; init; }
    public string? SignatureEncoding { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastUsedAt { get; init; }
    public DateTime? RevokedAt { get; init; }
}

public sealed class Provider
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public string? Specialty { get; init; }
    public bool Active { get; init; }
}

public sealed class Patient
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string? Phone { get; init; } // null once erased
    public string? Email { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? ErasedAt { get; init; }
}

public sealed class Procedure
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string[] Synonyms { get; init; } = [];
    public int DurationMinutes { get; init; }
    public int BufferAfterMinutes { get; init; }
    public string Description { get; init; } = "";
    public string Recovery { get; init; } = "";
    public string PriceRange { get; init; } = "";
    public string PreparationNotes { get; init; } = "";
    public bool Active { get; init; }
}

/// <summary>A provider's weekly hours in clinic-local time (ISO weekday, 1 = Monday).</summary>
public sealed class WorkingHours
{
    public Guid ClinicId { get; init; }
    public Guid ProviderId { get; init; }
    public short Weekday { get; init; }
    public TimeOnly StartsAt { get; init; }
    public TimeOnly EndsAt { get; init; }
}

public sealed class TimeOff
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public Guid ProviderId { get; init; }
    public DateTime StartsAt { get; init; }
    public DateTime EndsAt { get; init; }
    public string? Reason { get; init; }
}

public sealed class Appointment
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public Guid ProviderId { get; init; }
    public Guid PatientId { get; init; }
    public Guid? ProcedureId { get; init; }
    public DateTime StartsAt { get; init; }
    public DateTime EndsAt { get; init; }
    /// <summary>EndsAt plus the procedure's buffer: the provider is busy until then.</summary>
    public DateTime BlockedUntil { get; init; }
    public AppointmentStatus Status { get; init; }
    public AppointmentSource Source { get; init; }
    public string ConfirmationCode { get; init; } = "";
    public byte[]? NotesCiphertext { get; init; }
    public DateTime UpdatedAt { get; init; }
    public Provider Provider { get; init; } = null!;
    public Patient Patient { get; init; } = null!;
    public Procedure? Procedure { get; init; }
}

public sealed class AuditLogEntry
{
    public Guid ClinicId { get; init; }
    public long Id { get; init; }
    public DateTime OccurredAt { get; init; }
    public string Actor { get; init; } = "";
    public string Action { get; init; } = "";
    public string SubjectType { get; init; } = "";
    public string SubjectId { get; init; } = "";
    /// <summary>jsonb, read as its text.</summary>
    public string Detail { get; init; } = "{}";
    public AuditSeal? Seal { get; init; }
}

public sealed class AuditSeal
{
    public Guid ClinicId { get; init; }
    public long Seq { get; init; }
    public long AuditId { get; init; }
    public byte[] Hash { get; init; } = [];
}

public sealed class SmsMessage
{
    public Guid ClinicId { get; init; }
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public string? ToPhone { get; init; } // null once the patient was erased
    public string Body { get; init; } = "";
    public byte[]? BodySealed { get; init; } // the body once the text is done with (TextBodies)
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public int? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public string? TwilioStatus { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? SentAt { get; init; }
    public Guid? ResentFrom { get; init; }
}

/// <summary>
/// EF Core over the same data source as the rest (runtime role, row-level security). Used through ClinicDb.ReadDataAsync,
/// which opens its transaction and sets the clinic first: a context used any other way sees no clinic's rows.
/// </summary>
public sealed class ClinicData(DbContextOptions<ClinicData> options) : DbContext(options)
{
    public DbSet<Clinic> Clinics => Set<Clinic>();
    public DbSet<WebhookCredential> WebhookCredentials => Set<WebhookCredential>();
    public DbSet<Appointment> Appointments => Set<Appointment>();
    public DbSet<Provider> Providers => Set<Provider>();
    public DbSet<Procedure> Procedures => Set<Procedure>();
    public DbSet<AuditLogEntry> AuditLog => Set<AuditLogEntry>();
    public DbSet<SmsMessage> SmsMessages => Set<SmsMessage>();
    public DbSet<Patient> Patients => Set<Patient>();
    public DbSet<WorkingHours> WorkingHours => Set<WorkingHours>();
    public DbSet<TimeOff> TimeOff => Set<TimeOff>();

    /// <summary>An audit row in this context's transaction (audit() in db/migrations; the clinic is the transaction's).</summary>
    public Task AuditAsync(string actor, string action, string subjectType, string subjectId, object detail, CancellationToken ct = default) =>
        Database.ExecuteSqlAsync(
            $"select audit({actor}, {action}, {subjectType}, {subjectId}, {System.Text.Json.JsonSerializer.Serialize(detail)}::jsonb)", ct);

    /// <summary>The database's refusal behind an EF Core exception (constraint name and SQLSTATE), if that is what it was.</summary>
    public static Npgsql.PostgresException? Refusal(Exception e) => e as Npgsql.PostgresException ?? e.InnerException as Npgsql.PostgresException;

    /// <summary>The PostgreSQL enums, mapped on the data source that EF Core then shares.</summary>
    public static void MapEnums(Npgsql.NpgsqlDataSourceBuilder source)
    {
        source.MapEnum<AppointmentStatus>("appointment_status");
        source.MapEnum<AppointmentSource>("appointment_source");
    }

    /// <summary>A plain data source with the enums mapped (tests and tools; the app tunes its own in DatabaseSetup).</summary>
    public static Npgsql.NpgsqlDataSource NewDataSource(string connectionString)
    {
        var source = new Npgsql.NpgsqlDataSourceBuilder(connectionString);
        MapEnums(source);
        return source.Build();
    }

    /// <summary>How every context is configured: on the app's data source, snake_case names, read-only (no tracking).</summary>
    public static void Configure(DbContextOptionsBuilder o, Npgsql.NpgsqlDataSource source) => o
        .UseNpgsql(source, n => n.MapEnum<AppointmentStatus>("appointment_status").MapEnum<AppointmentSource>("appointment_source"))
        .UseSnakeCaseNamingConvention()
        .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking)
        // A constraint refusing bad input is an answer the store turns into a sentence, not an error to log; a failure
        // nobody handles still reaches the exception handler, which logs it.
        .ConfigureWarnings(w => w.Log((Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.CommandError, LogLevel.Debug)));

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Clinic>().ToTable("clinics").HasKey(x => x.Id);
        b.Entity<WebhookCredential>().ToTable("webhook_credentials").HasKey(x => new { x.ClinicId, x.Id });
        b.Entity<Provider>().ToTable("providers").HasKey(x => new { x.ClinicId, x.Id });
        b.Entity<Patient>().ToTable("patients").HasKey(x => new { x.ClinicId, x.Id });
        b.Entity<Procedure>().ToTable("procedures").HasKey(x => new { x.ClinicId, x.Id });
        b.Entity<Appointment>(e =>
        {
            e.ToTable("appointments").HasKey(x => new { x.ClinicId, x.Id });
            e.HasOne(x => x.Provider).WithMany().HasForeignKey(x => new { x.ClinicId, x.ProviderId });
            e.HasOne(x => x.Patient).WithMany().HasForeignKey(x => new { x.ClinicId, x.PatientId });
            e.HasOne(x => x.Procedure).WithMany().HasForeignKey(x => new { x.ClinicId, x.ProcedureId });
        });
        b.Entity<AuditLogEntry>(e =>
        {
            e.ToTable("audit_log").HasKey(x => new { x.ClinicId, x.Id });
            e.Property(x => x.Detail).HasColumnType("jsonb");
            e.HasOne(x => x.Seal).WithOne().HasForeignKey<AuditSeal>(x => new { x.ClinicId, x.AuditId });
        });
        b.Entity<AuditSeal>().ToTable("audit_seals").HasKey(x => new { x.ClinicId, x.Seq });
        b.Entity<SmsMessage>().ToTable("sms_messages").HasKey(x => new { x.ClinicId, x.Id });
        b.Entity<WorkingHours>().ToTable("working_hours").HasKey(x => new { x.ClinicId, x.ProviderId, x.Weekday, x.StartsAt });
        b.Entity<TimeOff>().ToTable("time_off").HasKey(x => new { x.ClinicId, x.Id });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder c) => c.Properties<DateTime>().HaveColumnType("timestamp with time zone");
}
