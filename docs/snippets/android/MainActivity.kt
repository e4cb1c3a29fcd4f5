package com.example.myapp

import android.content.Intent
import android.os.Bundle
import androidx.activity.viewModels
import androidx.appcompat.app.AppCompatActivity
import io.finconn.stripe.StripeSheetPresenter

class MainActivity : AppCompatActivity() {
    private val viewModel: LinkViewModel by viewModels()
    private lateinit var presenter: StripeSheetPresenter

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        presenter = StripeSheetPresenter(this)   // in every onCreate, before the activity starts
        if (savedInstanceState == null) intent?.dataString?.let(viewModel::handleUrl)
    }

    /** Your "Link your bank account" button's click listener calls this. */
    fun onLinkTapped() = viewModel.link(presenter)

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        this.intent = intent
        intent.dataString?.let(viewModel::handleUrl)
    }
}
