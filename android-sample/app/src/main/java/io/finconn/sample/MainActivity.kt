package io.finconn.sample

import android.content.Intent
import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.TextView
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import androidx.recyclerview.widget.LinearLayoutManager
import androidx.recyclerview.widget.RecyclerView
import com.stripe.android.financialconnections.FinancialConnectionsSheet
import com.stripe.android.financialconnections.FinancialConnectionsSheetResult
import io.finconn.Permission
import io.finconn.SheetConfiguration
import kotlinx.coroutines.launch

/**
 * The list of linked accounts and the "Link your bank account" flow. `launchMode="singleTask"`
 * (AndroidManifest.xml): one instance only; a link sent to the app reaches it in [onNewIntent].
 */
class MainActivity : AppCompatActivity() {

    private val viewModel: LinkViewModel by viewModels()
    private lateinit var financialConnectionsSheet: FinancialConnectionsSheet
    private val adapter = AccountAdapter(
        onOpen = { account -> accountScreen.launch(AccountActivity.intent(this, account.id)) },
        onRelink = { account -> viewModel.relink(account) },
    )

    /** The account screen; it finishes with a relink request when the core asked for one. */
    private val accountScreen = registerForActivityResult(ActivityResultContracts.StartActivityForResult()) { result ->
        val data = result.data
        if (result.resultCode != RESULT_OK || data == null) return@registerForActivityResult
        val accountId = data.getStringExtra(AccountActivity.EXTRA_ACCOUNT_ID) ?: return@registerForActivityResult
        val authorization = data.getStringExtra(AccountActivity.EXTRA_AUTHORIZATION) ?: return@registerForActivityResult
        val names = data.getStringArrayListExtra(AccountActivity.EXTRA_MISSING_PERMISSIONS).orEmpty()
        val missing = Permission.entries.filter { it.name in names }
        viewModel.relink(accountId, authorization, missing)
    }

    private lateinit var linkButton: Button
    private lateinit var statusText: TextView
    private lateinit var phaseText: TextView
    private lateinit var checkAgainButton: Button
    private lateinit var emptyText: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)

        // Stripe: create the sheet unconditionally in onCreate, so that its result reaches this
        // activity even when it was recreated (rotation, process death) while the sheet was up.
        financialConnectionsSheet = FinancialConnectionsSheet.create(this, ::onSheetResult)

        linkButton = findViewById(R.id.link_button)
        statusText = findViewById(R.id.status_text)
        phaseText = findViewById(R.id.phase_text)
        checkAgainButton = findViewById(R.id.check_again_button)
        emptyText = findViewById(R.id.empty_text)
        findViewById<RecyclerView>(R.id.accounts_list).apply {
            layoutManager = LinearLayoutManager(this@MainActivity)
            adapter = this@MainActivity.adapter
        }
        linkButton.setOnClickListener { viewModel.linkAccount() }
        checkAgainButton.setOnClickListener { viewModel.checkAgain() }

        // Flows interrupted by process death are resumed by the core (LinkViewModel →
        // resumePending), not from the saved state.
        if (savedInstanceState == null) {
            intent?.dataString?.let(viewModel::handleUrl)
        }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                launch { viewModel.state.collect(::render) }
                launch { viewModel.presentSheet.collect(::present) }
            }
        }
    }

    /**
     * Links sent to the app. With the native FinancialConnectionsSheet none comes here: Stripe's
     * FinancialConnectionsSheetRedirectActivity consumes every stripe-auth:// and stripe:// link
     * (see README.md), and this activity declares no link intent filter. This forwarding (and the
     * one in onCreate) is where an app that ALSO runs a hosted or WebView flow would receive its
     * https App Link, after declaring an autoVerify intent filter for it.
     */
    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        intent.dataString?.let(viewModel::handleUrl)
    }

    private fun onSheetResult(result: FinancialConnectionsSheetResult) {
        viewModel.onSheetResult(result)
    }

    private suspend fun present(configuration: SheetConfiguration) {
        if (!viewModel.sheetPresented()) return
        financialConnectionsSheet.present(
            FinancialConnectionsSheet.Configuration(
                financialConnectionsSessionClientSecret = configuration.clientSecret(),
                publishableKey = configuration.publishableKey(),
                stripeAccountId = configuration.stripeAccount(),
            )
        )
    }

    private fun render(state: LinkViewModel.UiState) {
        linkButton.isEnabled = state.configured && !state.busy
        statusText.text = state.status
        phaseText.text = state.phase
        phaseText.visibility = if (state.phase.isEmpty()) View.GONE else View.VISIBLE
        checkAgainButton.visibility = if (state.canCheckAgain) View.VISIBLE else View.GONE
        checkAgainButton.isEnabled = !state.busy
        emptyText.visibility = if (state.accounts.isEmpty()) View.VISIBLE else View.GONE
        adapter.relinkEnabled = !state.busy
        adapter.submitList(state.accounts)
    }
}
