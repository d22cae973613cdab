namespace ClinicPortal.Infrastructure;

/// <summary>
/// The portal will not start as configured (demo data in a real database, keys that would be stored in clear or beside
/// the data). Program prints the message, which says what to do, and exits 1 instead of crashing with a stack trace.
/// </summary>
public sealed class StartupRefusal(string message) : Exception(message);
