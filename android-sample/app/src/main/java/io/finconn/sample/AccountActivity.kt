package io.finconn.sample

import android.content.Context
import android.content.Intent
import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.ProgressBar
import android.widget.TextView
import androidx.activity.viewModels
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import io.finconn.AccountAction
import io.finconn.RelinkReason
import kotlinx.coroutines.launch

/**
 * One account: balance (current and available), owners, the 5 latest transactions, "Refresh" with
 * each feature's outcome, and the relink prompt. A relink needs Stripe's sheet, which lives in
 * [MainActivity]: this screen finishes with the relink request as its result.
 */
class AccountActivity : AppCompatActivity() {

    private val viewModel: AccountViewModel by viewModels()

    private lateinit var titleText: TextView
    private lateinit var actionText: TextView
    private lateinit var relinkButton: Button
    private lateinit var balanceText: TextView
    private lateinit var refreshButton: Button
    private lateinit var progress: ProgressBar
    private lateinit var errorText: TextView
    private lateinit var outcomesText: TextView
    private lateinit var ownersText: TextView
    private lateinit var transactionsText: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_account)
        supportActionBar?.setDisplayHomeAsUpEnabled(true)

        titleText = findViewById(R.id.account_title)
        actionText = findViewById(R.id.action_text)
        relinkButton = findViewById(R.id.relink_account_button)
        balanceText = findViewById(R.id.balance_text)
        refreshButton = findViewById(R.id.refresh_button)
        progress = findViewById(R.id.refresh_progress)
        errorText = findViewById(R.id.error_text)
        outcomesText = findViewById(R.id.outcomes_text)
        ownersText = findViewById(R.id.owners_text)
        transactionsText = findViewById(R.id.transactions_text)

        refreshButton.setOnClickListener { viewModel.refresh() }
        relinkButton.setOnClickListener { requestRelink() }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.state.collect(::render)
            }
        }
    }

    override fun onSupportNavigateUp(): Boolean {
        finish()
        return true
    }

    /** Hands the relink the core asked for to MainActivity, which runs the flow. */
    private fun requestRelink() {
        val action = viewModel.state.value.action as? AccountAction.RelinkRequired ?: return
        val authorization = action.authorization ?: return
        val missing = (action.reason as? RelinkReason.MissingPermissions)?.permissions.orEmpty()
        setResult(
            RESULT_OK,
            Intent()
                .putExtra(EXTRA_ACCOUNT_ID, viewModel.accountId)
                .putExtra(EXTRA_AUTHORIZATION, authorization)
                .putStringArrayListExtra(EXTRA_MISSING_PERMISSIONS, ArrayList(missing.map { it.name })),
        )
        finish()
    }

    private fun render(state: AccountViewModel.UiState) {
        val account = state.account
        titleText.text = account?.displayLine ?: getString(R.string.account_loading)

        val action = state.action
        actionText.text = action?.let { UserMessages.text(this, it) }
        actionText.visibility = if (action != null) View.VISIBLE else View.GONE
        val canRelink = action is AccountAction.RelinkRequired && action.authorization != null
        relinkButton.visibility = if (canRelink) View.VISIBLE else View.GONE

        val balance = account?.balance
        balanceText.text = if (balance == null) {
            getString(R.string.balance_none)
        } else {
            getString(
                R.string.balance_line,
                UserMessages.money(balance.current),
                UserMessages.money(balance.available),
                UserMessages.dateTime(balance.asOfUnixSeconds),
            )
        }

        refreshButton.isEnabled = !state.loading
        progress.visibility = if (state.loading) View.VISIBLE else View.GONE
        errorText.text = state.error
        errorText.visibility = if (state.error != null) View.VISIBLE else View.GONE
        outcomesText.text = state.refreshes.joinToString("\n") { UserMessages.text(this, it) }
        outcomesText.visibility = if (state.refreshes.isEmpty()) View.GONE else View.VISIBLE

        ownersText.text = if (state.owners.isEmpty()) {
            getString(R.string.owners_none)
        } else {
            state.owners.joinToString("\n") { owner ->
                listOfNotNull(owner.name, owner.email, owner.phone).joinToString(" · ")
            }
        }
        transactionsText.text = if (state.latestTransactions.isEmpty()) {
            getString(R.string.transactions_none)
        } else {
            state.latestTransactions.joinToString("\n") { t ->
                getString(
                    R.string.transaction_line,
                    t.description,
                    UserMessages.money(t.amount),
                    UserMessages.text(this, t.status),
                    UserMessages.date(t.transactedAtUnixSeconds),
                )
            }
        }
    }

    companion object {
        const val EXTRA_ACCOUNT_ID = "io.finconn.sample.ACCOUNT_ID"
        const val EXTRA_AUTHORIZATION = "io.finconn.sample.AUTHORIZATION"
        const val EXTRA_MISSING_PERMISSIONS = "io.finconn.sample.MISSING_PERMISSIONS"

        fun intent(context: Context, accountId: String): Intent =
            Intent(context, AccountActivity::class.java).putExtra(EXTRA_ACCOUNT_ID, accountId)
    }
}
