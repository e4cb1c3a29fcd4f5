package io.finconn.sample

import android.content.Intent
import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.TextView
import androidx.activity.viewModels
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import androidx.recyclerview.widget.LinearLayoutManager
import androidx.recyclerview.widget.RecyclerView
import com.stripe.android.financialconnections.FinancialConnectionsSheet
import com.stripe.android.financialconnections.FinancialConnectionsSheetResult
import io.finconn.SheetConfiguration
import kotlinx.coroutines.launch

class MainActivity : AppCompatActivity() {

    private val viewModel: LinkViewModel by viewModels()
    private lateinit var financialConnectionsSheet: FinancialConnectionsSheet
    private val adapter = AccountAdapter { account -> viewModel.relink(account) }

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

        // After process death the saved state still holds the interrupted flow's snapshot.
        viewModel.onActivityCreated(savedInstanceState?.getString(STATE_FLOW_SNAPSHOT))
        if (savedInstanceState == null) {
            // The app was opened by a link (e.g. the return URL after the app had been killed).
            intent?.dataString?.let(viewModel::handleUrl)
        }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                launch { viewModel.state.collect(::render) }
                launch { viewModel.presentSheet.collect(::present) }
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        intent.dataString?.let(viewModel::handleUrl)
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        // The core's snapshot holds no secret; the system keeps it across process death.
        viewModel.flowSnapshot()?.let { outState.putString(STATE_FLOW_SNAPSHOT, it) }
    }

    private fun onSheetResult(result: FinancialConnectionsSheetResult) {
        viewModel.onSheetResult(result)
    }

    private fun present(configuration: SheetConfiguration) {
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
        emptyText.visibility = if (state.accounts.isEmpty()) View.VISIBLE else View.GONE
        adapter.relinkEnabled = !state.busy
        adapter.submitList(state.accounts)
    }

    private companion object {
        const val STATE_FLOW_SNAPSHOT = "finconn.flowSnapshot"
    }
}
