// The change feed as a Kotlin Flow, on top of the generated binding's suspend function
// `Subscription.nextAsync()`. Compile this file together with the generated mnemo.kt
// (it needs kotlinx-coroutines-core, like the generated suspend functions).
package mnemo

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.emitAll
import kotlinx.coroutines.flow.flow

/**
 * The entries of this subscription as a cold Flow: in log order, suspending (without
 * holding a thread) while there is nothing new. Completes when the store closes; other
 * errors are thrown as `MnemoException`s. Collect it once at a time.
 */
fun Subscription.asFlow(): Flow<LogEntry> = flow {
    while (true) {
        val entry = try {
            nextAsync()
        } catch (e: MnemoException.Closed) {
            return@flow
        }
        emit(entry)
    }
}

/**
 * A change feed described by `options` (start, filter, name) as a Flow: subscribes when
 * collected and frees the subscription when the collection ends or is cancelled.
 */
fun MnemoStore.changes(options: SubscribeOptions = SubscribeOptions()): Flow<LogEntry> = flow {
    subscribeWith(options).use { emitAll(it.asFlow()) }
}
