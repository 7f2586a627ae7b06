/// When a fault fires: never, for the next K requests that reach it, on every request, or at random with a
/// probability (drawn from the server's seeded generator, so a run can be replayed).
public enum FaultTrigger: Sendable, Equatable {
    case never
    case next(Int)
    case always
    case probability(Double)
}
