// JVM stand-in for androidx.lifecycle (lifecycle-common, lifecycle-process), for
// scripts/stripe-adapters-check.sh: NOT AndroidX, compile only, never packaged (Gradle builds the
// module against the real libraries). Declares only what bindings/android-stripe uses.
//
// Traced to AndroidX public source (https://github.com/androidx/androidx), the API signature files
// of the 2.9 line (AndroidX freezes a line's API at beta; the module pins lifecycle-process 2.9.2,
// as android-sample does):
//   * lifecycle/lifecycle-common/api/2.9.0-beta01.txt, commit a9b06aaf32dbcf83aa12e3f8185a109d14fbe8e9;
//   * lifecycle/lifecycle-process/api/restricted_2.9.0-beta01.txt, commit
//     31adf48a5ba261a6d7abf653f74a38d1623fd319 (ProcessLifecycleOwner), and its source
//     lifecycle/lifecycle-process/src/main/java/androidx/lifecycle/ProcessLifecycleOwner.kt, commit
//     2dbc29776ef6d18466ea9d73a9ad1324c54269fb (`class ProcessLifecycleOwner private constructor() :
//     LifecycleOwner`, ON_STOP "dispatched with a delay after a last activity passed through" it).
package androidx.lifecycle

/**
 * 2.9.0-beta01.txt: `public abstract class Lifecycle` with `method @MainThread public abstract void
 * addObserver(androidx.lifecycle.LifecycleObserver observer);`, `… removeObserver(…)`, `property
 * @MainThread public abstract androidx.lifecycle.Lifecycle.State currentState;`; `public enum
 * Lifecycle.State` with the five constants below and `isAtLeast`. Events, flows and coroutine
 * scopes are left out.
 */
abstract class Lifecycle {
    abstract fun addObserver(observer: LifecycleObserver)

    abstract fun removeObserver(observer: LifecycleObserver)

    abstract val currentState: State

    enum class State {
        DESTROYED,
        INITIALIZED,
        CREATED,
        STARTED,
        RESUMED,
        ;

        fun isAtLeast(state: State): Boolean = compareTo(state) >= 0
    }
}

/** 2.9.0-beta01.txt: `public interface LifecycleObserver { }`. */
interface LifecycleObserver

/**
 * 2.9.0-beta01.txt: `public interface LifecycleOwner` with `property public abstract
 * androidx.lifecycle.Lifecycle lifecycle;`.
 */
interface LifecycleOwner {
    val lifecycle: Lifecycle
}

/**
 * 2.9.0-beta01.txt: `public interface DefaultLifecycleObserver extends
 * androidx.lifecycle.LifecycleObserver` with six default methods; only the one the adapter overrides,
 * `method public default void onStop(androidx.lifecycle.LifecycleOwner owner);`, is declared.
 */
interface DefaultLifecycleObserver : LifecycleObserver {
    fun onStop(owner: LifecycleOwner) {}
}

/**
 * restricted_2.9.0-beta01.txt: `public final class ProcessLifecycleOwner implements
 * androidx.lifecycle.LifecycleOwner` with `method public static androidx.lifecycle.LifecycleOwner
 * get();` (Kotlin source: `companion object { @JvmStatic fun get(): LifecycleOwner }`).
 */
class ProcessLifecycleOwner private constructor() : LifecycleOwner {
    override val lifecycle: Lifecycle
        get() = throw UnsupportedOperationException("JVM stand-in of androidx.lifecycle: compile only")

    companion object {
        @JvmStatic
        fun get(): LifecycleOwner = ProcessLifecycleOwner()
    }
}
